/** Locating the shared test data sets and the detector model for integration tests and benchmarks. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MODEL_FILES, resolveModelPath } from "../models.ts";

/**
 * The shared data sets: env `PERSONA_DATASETS_DIR` or `PERSONA_DATASETS` (the models package's name for it), else
 * `<repo>/../shared/datasets` (CI lays shared/ beside the clone), else `/work/shared/datasets`. Null when none exists.
 */
export function datasetsDir(): string | null {
  const candidates = [
    process.env.PERSONA_DATASETS_DIR,
    process.env.PERSONA_DATASETS,
    fileURLToPath(new URL("../../../../../shared/datasets/", import.meta.url)),
    "/work/shared/datasets",
  ];
  for (const c of candidates) if (c && existsSync(join(c, "lfw"))) return c;
  return null;
}

/** Path of the BlazeFace model if it exists (models/dist or PERSONA_MODELS_DIR), else null. */
export function blazefacePath(): string | null {
  const p = resolveModelPath(MODEL_FILES.blazeface);
  return existsSync(p) ? p : null;
}

/** First image of the first `count` LFW people (alphabetical, skipping `skip`), as paths. */
export function lfwFirstImages(root: string, count: number, skip = 0): string[] {
  const lfw = join(root, "lfw");
  return readdirSync(lfw, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .slice(skip, skip + count)
    .map((p) => join(lfw, p, `${p}_0001.jpg`));
}
