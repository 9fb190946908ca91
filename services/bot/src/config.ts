import { env } from "@persona/runtime";
import { z } from "zod";

/** The bot service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  TELEGRAM_BOT_TOKEN: z.string().optional(),
  TELEGRAM_API_ROOT: env.url("https://api.telegram.org"),
  BOT_ADMIN_PASSWORD: z.string().optional(),
});
export type Config = z.infer<typeof configSchema>;
