import { env } from "@persona/runtime";
import { z } from "zod";

/** The greeter service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  GREETER_COOLDOWN_SECONDS: env.int(45, 0, 86400),
});
export type Config = z.infer<typeof configSchema>;
