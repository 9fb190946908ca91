import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding the root package.json with workspaces). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tsconfig.base.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

let warnedDatasetsDir = false;

/**
 * The shared data sets' folder the environment names: PERSONA_DATASETS, else the old name PERSONA_DATASETS_DIR (read
 * with a deprecation warning, once), else undefined.
 */
function datasetsFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PERSONA_DATASETS !== undefined || env.PERSONA_DATASETS_DIR === undefined) return env.PERSONA_DATASETS;
  if (!warnedDatasetsDir) {
    warnedDatasetsDir = true;
    process.emitWarning("PERSONA_DATASETS_DIR is deprecated: set PERSONA_DATASETS (the shared data sets' folder)", {
      type: "DeprecationWarning",
      code: "PERSONA_DATASETS_DIR",
    });
  }
  return env.PERSONA_DATASETS_DIR;
}

/** Where the shared datasets live: PERSONA_DATASETS (or, deprecated, PERSONA_DATASETS_DIR) or ../shared/datasets beside the repository. */
export function datasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(datasetsFromEnv(env) ?? join(repoRoot(), "..", "shared", "datasets"));
}

/**
 * The shared data sets' folder where `holds` finds what a test, bench or tool needs (default: an `lfw` folder), or
 * null: the folder the environment names (`datasetsDir`), else `../shared/datasets` beside the repository, else
 * `/work/shared/datasets` (where a checkout elsewhere, a worktree, finds them).
 */
export function findDatasetsDir(
  holds: (dir: string) => boolean = (dir) => existsSync(join(dir, "lfw")),
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const named = datasetsFromEnv(env);
  const candidates = [named, join(repoRoot(), "..", "shared", "datasets"), "/work/shared/datasets"];
  for (const c of candidates) if (c && holds(resolve(c))) return resolve(c);
  return null;
}

/** The local data folder (NATS store, SQLite file): PERSONA_DATA_DIR or ./data in the repository. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PERSONA_DATA_DIR ?? join(repoRoot(), "data"));
}
