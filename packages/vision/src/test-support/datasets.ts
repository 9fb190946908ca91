/** The detector model and LFW photos for integration tests and benchmarks (the data sets: `findDatasetsDir` of @persona/runtime). */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { MODEL_FILES, resolveModelPath } from "../models.ts";

/** Path of the BlazeFace model if it exists (models/dist or PERSONA_MODELS_DIR), else null. */
export function blazefacePath(): string | null {
  const p = resolveModelPath(MODEL_FILES.blazeface);
  return existsSync(p) ? p : null;
}

/** Why a test needing the BlazeFace model and the shared data sets (`root`, null when not found) cannot run, or false. */
export function blazefaceSkipReason(root: string | null): string | false {
  if (blazefacePath() === null) return "BlazeFace model not found (models/dist or PERSONA_MODELS_DIR)";
  return root === null ? "shared datasets not found (set PERSONA_DATASETS)" : false;
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
