import { dataDir, defaultStoreUrl, env } from "@persona/runtime";
import { z } from "zod";

export const DEFAULT_SOUND = new URL("../assets/default-greeting.mp3", import.meta.url).pathname;

/** The greeter's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  /** No second greeting of a person within this time (the paper: about 45 s). */
  GREETER_COOLDOWN_SECONDS: env.int(45, 0, 86400),
  /** A track whose end was never seen stops counting as "in view" after this. */
  GREETER_STALE_TRACK_SECONDS: env.int(120, 1, 86400),
  /** Recognitions older than this are not greeted (a backlog after downtime stays silent). */
  GREETER_MAX_AGE_SECONDS: env.int(30, 1, 86400),
  /** auto (ffplay, mpg123, ffmpeg+aplay), one of those names, ffmpeg-null (decode without a device), or none. */
  GREETER_PLAYER: z.enum(["auto", "ffplay", "mpg123", "ffmpeg+aplay", "ffmpeg-null", "none"]).default("auto"),
  GREETER_DEFAULT_SOUND: z.string().default(DEFAULT_SOUND),
  PERSONA_DATA_DIR: z.string().default(() => dataDir()),
});
export type Config = z.infer<typeof configSchema>;
