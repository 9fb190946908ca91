/** Locating shared data for integration tests. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The LFW directory: env PERSONA_DATASETS_DIR / PERSONA_DATASETS, else ../shared/datasets beside the repo, else /work/shared/datasets. */
export function findLfwDir(): string | null {
  const c = [
    process.env.PERSONA_DATASETS_DIR,
    process.env.PERSONA_DATASETS,
    fileURLToPath(new URL("../../../../shared/datasets/", import.meta.url)),
    "/work/shared/datasets",
  ];
  for (const d of c) if (d && existsSync(join(d, "lfw", "pairs.txt"))) return join(d, "lfw");
  return null;
}
