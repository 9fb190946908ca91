/**
 * LFW for integration tests: where it is, one photo's path, and why a test that needs LFW and built models must
 * skip (the reason shows in the test output).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { datasetsDir } from "@persona/runtime";

/** `<datasets>/lfw` (PERSONA_DATASETS, default ../shared/datasets). */
export function lfwDir(): string {
  return join(datasetsDir(), "lfw");
}

/** The path of `<person>_<nnnn>.jpg`, e.g. lfwPhoto("Colin_Powell", 3). */
export function lfwPhoto(person: string, n: number): string {
  return join(lfwDir(), person, `${person}_${String(n).padStart(4, "0")}.jpg`);
}

/** Why a test needing LFW and these model files (absolute paths) cannot run here, or undefined when it can. */
export function lfwSkipReason(...modelFiles: string[]): string | undefined {
  const lfw = lfwDir();
  if (!existsSync(lfw)) return `LFW not found at ${lfw} (set PERSONA_DATASETS)`;
  const missing = modelFiles.filter((f) => !existsSync(f));
  if (missing.length > 0) return `models not built (run make models): ${missing.join(", ")}`;
  return undefined;
}
