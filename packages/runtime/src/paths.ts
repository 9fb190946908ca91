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

/** Where the shared datasets live: PERSONA_DATASETS or ../shared/datasets beside the repository. */
export function datasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PERSONA_DATASETS ?? join(repoRoot(), "..", "shared", "datasets"));
}

/** The local data folder (NATS store, SQLite file): PERSONA_DATA_DIR or ./data in the repository. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PERSONA_DATA_DIR ?? join(repoRoot(), "data"));
}
