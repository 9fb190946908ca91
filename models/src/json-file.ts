import { readFile } from "node:fs/promises";
import { ModelBuildError, type ModelBuildErrorCode } from "./errors.ts";

/**
 * The parsed JSON of a file; one that cannot be read or parsed is a ModelBuildError of `code` ("config" for the
 * build's own sources.json and manifest.json, "weights" for a package's model files), the reason in `cause`.
 */
export async function readJsonFile(path: string, code: ModelBuildErrorCode): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ModelBuildError(code, `cannot read ${path}`, { cause });
  }
}
