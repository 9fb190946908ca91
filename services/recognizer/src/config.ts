import { env } from "@persona/runtime";
import { z } from "zod";

/** The recognizer service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  RECOGNIZER_CONCURRENCY: env.int(2, 1, 64),
});
export type Config = z.infer<typeof configSchema>;
