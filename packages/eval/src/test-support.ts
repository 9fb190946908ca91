/** Locating shared data for integration tests. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findDatasetsDir } from "@persona/runtime";

/** The LFW directory (one with pairs.txt) of the shared data sets (`findDatasetsDir`), or null. */
export function findLfwDir(): string | null {
  const root = findDatasetsDir((d) => existsSync(join(d, "lfw", "pairs.txt")));
  return root === null ? null : join(root, "lfw");
}
