import { env, defaultStoreUrl } from "@persona/runtime";
import { z } from "zod";
import { classifierConfigShape } from "./classifierConfig.ts";
import { selfLearningConfigShape } from "./growth/config.ts";

/** The trainer service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  /** Not read by the trainer (it keeps nothing in the document store); only accepted and logged at start. */
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  /** The active trainer trains every this many minutes (skipped when no crop changed since the last run), besides
   * the runs TRAINER_DEBOUNCE_SECONDS after an enrollment or a removal. */
  TRAINER_SCHEDULE_MINUTES: env.int(60, 1, 100000),
  ...classifierConfigShape,
  ...selfLearningConfigShape,
});
export type Config = z.infer<typeof configSchema>;
