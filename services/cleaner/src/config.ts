import { env } from "@persona/runtime";
import { z } from "zod";

/** The cleaner service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  CLEANER_INTERVAL_MINUTES: env.int(10, 1, 10080),
});
export type Config = z.infer<typeof configSchema>;
