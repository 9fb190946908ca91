/** Typed errors of the evaluation package. */
import { CodedError } from "@persona/runtime/errors";

export type PairsFileErrorCode =
  /** the file cannot be read */
  | "io"
  /** no header or no pairs */
  | "empty"
  /** the header lacks a required column, repeats one or has an unknown one */
  | "bad_columns"
  /** a row with the wrong number of fields or an invalid value */
  | "bad_row"
  /** referenced image files do not exist */
  | "missing_files";

/** A pairs file (generic TSV or LFW's pairs.txt format) that cannot be used. Messages name the file and line. */
export class PairsFileError extends Error {
  override readonly name = "PairsFileError";
  readonly code: PairsFileErrorCode;
  readonly file: string;
  /** 1-based line number, when the problem is on one line. */
  readonly line: number | undefined;
  /** Missing image paths (`missing_files`), absolute. */
  readonly missing: readonly string[];
  constructor(
    code: PairsFileErrorCode,
    file: string,
    message: string,
    options: { line?: number; missing?: readonly string[]; cause?: unknown } = {},
  ) {
    super(options.line !== undefined ? `${file}:${options.line}: ${message}` : `${file}: ${message}`, { cause: options.cause });
    this.code = code;
    this.file = file;
    this.line = options.line;
    this.missing = options.missing ?? [];
  }
}

export type EvaluationErrorCode =
  /** a data set directory or protocol file is missing or malformed */
  | "dataset"
  /** options that cannot work together or are out of range */
  | "options"
  /** a worker thread failed */
  | "worker"
  /** the cache directory cannot be used */
  | "cache";

/** Other evaluation failures. */
export class EvaluationError extends CodedError<EvaluationErrorCode> {
  override readonly name = "EvaluationError";
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
