import { z } from "zod";

/** The camera service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  /** Cameras as JSON: [{"id":"gate-1","source":"rtsp://...","role":"entrance"}] (issue 4 adds capture). */
  CAMERAS: z.string().default("[]"),
});
export type Config = z.infer<typeof configSchema>;
