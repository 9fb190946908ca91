import { type TextEncodingName, decodeText } from "./text.ts";

/**
 * The paper's `data.txt`: line 1 the person's name, line 2 the position / description, line 3 the photo's file
 * name, optional line 4 the greeting sound's file name. Pure parsing, tolerant of what editors produce: any of the
 * encodings of `decodeText`, CRLF / CR / LF line ends, spaces around values, blank trailing lines, quotes around
 * file names, a path instead of a bare file name. Lines keep their positions: a blank line 1 is an empty name
 * (rejected), not a reason to read the description as the name.
 */

export const NAME_MAX = 200;
export const DESCRIPTION_MAX = 1000;

export interface DataTxt {
  name: string;
  description: string;
  /** The photo's file name as written (path and quotes removed), or null when the line is missing or blank. */
  photo: string | null;
  /** The sound's file name, or null. */
  sound: string | null;
  encoding: TextEncodingName;
  warnings: string[];
}

export type DataTxtProblem = {
  code: "empty-data-txt" | "empty-name" | "name-too-long" | "control-characters";
  message: string;
};

export type DataTxtResult = { ok: true; data: DataTxt } | { ok: false; problem: DataTxtProblem };

export function parseDataTxt(bytes: Uint8Array): DataTxtResult {
  const { text, encoding } = decodeText(bytes);
  const warnings: string[] = [];
  const lines = text
    .normalize("NFC")
    .split(/\r\n|\r|\n/)
    // a stray BOM or zero-width no-break space, NULs from a broken conversion, spaces and tabs around values
    .map((l) => l.replaceAll("\uFEFF", "").replaceAll(String.fromCharCode(0), "").trim());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) return { ok: false, problem: { code: "empty-data-txt", message: "data.txt is empty" } };
  const name = collapseSpaces(lines[0] ?? "");
  if (name === "") return { ok: false, problem: { code: "empty-name", message: "data.txt line 1 (the name) is empty" } };
  if (name.length > NAME_MAX) {
    return {
      ok: false,
      problem: { code: "name-too-long", message: `data.txt line 1 (the name) is ${name.length} characters, at most ${NAME_MAX}` },
    };
  }
  if (/\p{Cc}/u.test(name)) {
    return {
      ok: false,
      problem: { code: "control-characters", message: "data.txt line 1 (the name) contains control characters" },
    };
  }
  let description = lines[1] ?? "";
  if (description.length > DESCRIPTION_MAX) {
    warnings.push(`description (line 2) cut to ${DESCRIPTION_MAX} characters`);
    description = description.slice(0, DESCRIPTION_MAX);
  }
  if (lines.length > 4) warnings.push(`data.txt has ${lines.length} lines; lines after the 4th are ignored`);
  return {
    ok: true,
    data: { name, description, photo: fileName(lines[2]), sound: fileName(lines[3]), encoding, warnings },
  };
}

function collapseSpaces(s: string): string {
  return s.replace(/\s+/g, " ");
}

/** "C:\photos\ivan.jpg", "./ivan.jpg", "'ivan.jpg'" -> "ivan.jpg"; blank -> null. */
export function fileName(line: string | undefined): string | null {
  if (line === undefined) return null;
  let s = line.trim().replace(/^["'«]+|["'»]+$/g, "");
  const parts = s.split(/[\\/]/);
  s = (parts[parts.length - 1] ?? "").trim();
  return s === "" ? null : s;
}

/** Case- and normalisation-insensitive key of a file name. */
export function fileKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

export function stemOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/**
 * Finds the file a data.txt line names among the folder's files: exactly, then case-insensitively, then by its
 * stem (the line without an extension, or with another extension than the file's) among files with one of the
 * `extensions`. Several stem matches are ambiguous: null with the candidates.
 */
export function resolveFileName(
  wanted: string,
  files: readonly string[],
  extensions: readonly string[],
): { found: string } | { found: null; candidates: string[] } {
  if (files.includes(wanted)) return { found: wanted };
  const key = fileKey(wanted);
  const ci = files.filter((f) => fileKey(f) === key);
  if (ci.length >= 1) return { found: [...ci].sort()[0] as string };
  const wantedStem = fileKey(extensions.includes(extensionOf(wanted)) ? stemOf(wanted) : wanted);
  const byStem = files.filter((f) => extensions.includes(extensionOf(f)) && fileKey(stemOf(f)) === wantedStem);
  if (byStem.length === 1) return { found: byStem[0] as string };
  return { found: null, candidates: byStem.sort() };
}
