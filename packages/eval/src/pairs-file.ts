/**
 * Generic verification pairs file: tab-separated, a header row naming the columns, then one pair per row.
 *
 *     img1<TAB>img2<TAB>same[<TAB>fold]
 *     alice/1.jpg<TAB>alice/2.jpg<TAB>1<TAB>0
 *     alice/1.jpg<TAB>bob/1.jpg<TAB>0<TAB>0
 *
 * - Columns may come in any order; `img1`, `img2`, `same` are required, `fold` is optional; any other column is an
 *   error (a typo like `smae` must not silently drop data).
 * - `same` is 0 or 1; `fold` a non-negative integer (all rows or none).
 * - Image paths are relative to the pairs file's directory (absolute paths are used as they are).
 * - Blank lines and lines starting with `#` are ignored. Windows line ends are accepted.
 */
import { access, readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { PairsFileError, errorMessage } from "./errors.ts";

export interface PairSpec {
  /** Absolute image paths. */
  readonly img1: string;
  readonly img2: string;
  readonly same: boolean;
  /** Fold id, or null when the file has no `fold` column. */
  readonly fold: number | null;
  /** 1-based line in the file. */
  readonly line: number;
}

export interface PairsFile {
  readonly file: string;
  readonly pairs: readonly PairSpec[];
  readonly hasFolds: boolean;
}

const REQUIRED = ["img1", "img2", "same"] as const;
const KNOWN = new Set<string>([...REQUIRED, "fold"]);

/** Parses the text of a pairs file; `file` names it in errors and its directory resolves relative paths. */
export function parsePairsTsv(text: string, file: string): PairsFile {
  const base = dirname(resolve(file));
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  let col: Record<string, number> = {};
  const pairs: PairSpec[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lineNo = i + 1;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    const fields = raw.split("\t").map((f) => f.trim());
    if (header === null) {
      header = fields;
      col = {};
      for (const [k, name] of fields.entries()) {
        if (!KNOWN.has(name)) {
          throw new PairsFileError(
            "bad_columns",
            file,
            `unknown column "${name}" (expected img1, img2, same and optionally fold, tab-separated)`,
            {
              line: lineNo,
            },
          );
        }
        if (name in col) throw new PairsFileError("bad_columns", file, `column "${name}" appears twice`, { line: lineNo });
        col[name] = k;
      }
      const missing = REQUIRED.filter((r) => !(r in col));
      if (missing.length) {
        throw new PairsFileError(
          "bad_columns",
          file,
          `missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} in header "${raw}"`,
          {
            line: lineNo,
          },
        );
      }
      continue;
    }
    if (fields.length !== header.length) {
      throw new PairsFileError("bad_row", file, `expected ${header.length} tab-separated fields, found ${fields.length}`, {
        line: lineNo,
      });
    }
    const get = (name: string): string => fields[col[name] as number] as string;
    const img1 = get("img1");
    const img2 = get("img2");
    if (!img1 || !img2) throw new PairsFileError("bad_row", file, "empty image path", { line: lineNo });
    const sameRaw = get("same");
    if (sameRaw !== "0" && sameRaw !== "1")
      throw new PairsFileError("bad_row", file, `"same" must be 0 or 1, got "${sameRaw}"`, { line: lineNo });
    let fold: number | null = null;
    if ("fold" in col) {
      const f = get("fold");
      if (!/^\d+$/.test(f))
        throw new PairsFileError("bad_row", file, `"fold" must be a non-negative integer, got "${f}"`, { line: lineNo });
      fold = Number(f);
    }
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
    pairs.push({ img1: abs(img1), img2: abs(img2), same: sameRaw === "1", fold, line: lineNo });
  }
  if (header === null) throw new PairsFileError("empty", file, "no header row (expected img1<TAB>img2<TAB>same[<TAB>fold])");
  if (pairs.length === 0) throw new PairsFileError("empty", file, "no pairs after the header");
  return { file, pairs, hasFolds: "fold" in col };
}

/** Reads and parses a pairs file; with `checkFiles` (default true) every image must exist. */
export async function readPairsFile(file: string, options: { checkFiles?: boolean } = {}): Promise<PairsFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new PairsFileError("io", file, `cannot read: ${errorMessage(cause)}`, { cause });
  }
  const parsed = parsePairsTsv(text, file);
  if (options.checkFiles ?? true) {
    await assertFilesExist(
      file,
      parsed.pairs.flatMap((p) => [
        { path: p.img1, line: p.line },
        { path: p.img2, line: p.line },
      ]),
    );
  }
  return parsed;
}

/** Throws `PairsFileError("missing_files")` naming the first few missing paths (with their lines) and the count. */
export async function assertFilesExist(file: string, refs: readonly { path: string; line?: number }[]): Promise<void> {
  const seen = new Map<string, number | undefined>();
  for (const r of refs) if (!seen.has(r.path)) seen.set(r.path, r.line);
  const missing: { path: string; line: number | undefined }[] = [];
  await Promise.all(
    [...seen].map(async ([path, line]) => {
      try {
        await access(path);
      } catch {
        missing.push({ path, line });
      }
    }),
  );
  if (missing.length === 0) return;
  missing.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.path.localeCompare(b.path));
  const shown = missing
    .slice(0, 5)
    .map((m) => (m.line !== undefined ? `${m.path} (line ${m.line})` : m.path))
    .join(", ");
  throw new PairsFileError(
    "missing_files",
    file,
    `${missing.length} image file${missing.length > 1 ? "s" : ""} not found: ${shown}${missing.length > 5 ? ", ..." : ""}`,
    { missing: missing.map((m) => m.path) },
  );
}
