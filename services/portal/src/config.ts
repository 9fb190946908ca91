import { env } from "@persona/runtime";
import { z } from "zod";

/** The portal service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  PORTAL_PORT: env.port(8080),
  PORTAL_HOST: env.str("127.0.0.1"),
});
export type Config = z.infer<typeof configSchema>;
