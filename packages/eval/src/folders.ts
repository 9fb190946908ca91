/** Folder-per-person image sets: `<dir>/<person>/<image>`. */
import { readdir } from "node:fs/promises";
import { extname, join } from "node:path";
import { EvaluationError, errorMessage } from "./errors.ts";

/** File extensions taken as images. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  ".jpg",
  ".jpeg",
  ".png",
  ".webp",
  ".bmp",
  ".tif",
  ".tiff",
  ".pgm",
  ".ppm",
  ".pnm",
]);

export interface LabelledImage {
  readonly personId: string;
  readonly path: string;
}

async function list(dir: string): Promise<import("node:fs").Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new EvaluationError("dataset", `cannot read directory ${dir}: ${errorMessage(cause)}`, { cause });
  }
}

const isImage = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()) && !name.startsWith(".");

/**
 * Lists `<dir>/<person>/<image>` (sorted by person, then file name). With `allowLoose`, images directly in `dir` are
 * returned too, each as its own anonymous person (`<file name>`): handy for impostor folders.
 */
export async function listPersonFolders(dir: string, options: { allowLoose?: boolean } = {}): Promise<LabelledImage[]> {
  const out: LabelledImage[] = [];
  const entries = (await list(dir)).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.isDirectory()) {
      const files = (await list(join(dir, e.name))).filter((f) => f.isFile() && isImage(f.name)).map((f) => f.name);
      files.sort((a, b) => a.localeCompare(b));
      for (const f of files) out.push({ personId: e.name, path: join(dir, e.name, f) });
    } else if (e.isFile() && isImage(e.name) && options.allowLoose) {
      out.push({ personId: `~${e.name}`, path: join(dir, e.name) });
    }
  }
  if (out.length === 0) throw new EvaluationError("dataset", `no images found under ${dir} (expected <dir>/<person>/<image>)`);
  return out;
}
