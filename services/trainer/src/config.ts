import { env, defaultStoreUrl } from "@persona/runtime";
import { z } from "zod";
import { classifierConfigShape } from "./classifierConfig.ts";
import { selfLearningConfigShape } from "./growth/config.ts";

/** The trainer service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  TRAINER_SCHEDULE_MINUTES: env.int(60, 1, 100000),
  ...classifierConfigShape,
  ...selfLearningConfigShape,
});
export type Config = z.infer<typeof configSchema>;
