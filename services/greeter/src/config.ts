import { dataDir, defaultStoreUrl, env } from "@persona/runtime";
import { z } from "zod";

export const DEFAULT_SOUND = new URL("../assets/default-greeting.mp3", import.meta.url).pathname;

/** The greeter's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  /** Not read by the greeter (it keeps nothing in the document store); only accepted and logged at start. */
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  /** No second greeting of a person within this time (the paper: about 45 s). */
  GREETER_COOLDOWN_SECONDS: env.int(45, 0, 86400),
  /** A track whose end was never seen stops counting as "in view" after this. */
  GREETER_STALE_TRACK_SECONDS: env.int(120, 1, 86400),
  /** Recognitions older than this are not greeted (a backlog after downtime stays silent). */
  GREETER_MAX_AGE_SECONDS: env.int(30, 1, 86400),
  /** At an event session's cameras a person is greeted once per occurrence; its window opens this many minutes before
   * the start (the sessions' early window, 15 by default in the portal's consumer too). */
  GREETER_EVENT_EARLY_MINUTES: env.int(15, 0, 24 * 60),
  /** auto (ffplay, mpg123, ffmpeg+aplay), one of those names, ffmpeg-null (decode without a device), or none. */
  GREETER_PLAYER: z.enum(["auto", "ffplay", "mpg123", "ffmpeg+aplay", "ffmpeg-null", "none"]).default("auto"),
  /** The sound played for a person without a greeting sound of their own (or when theirs cannot be fetched); the
   * greeter does not start when the file is missing. */
  GREETER_DEFAULT_SOUND: z.string().default(DEFAULT_SOUND),
  /** The data folder: people's greeting sounds are cached in its greeter-sounds/ (a removed, erased or replaced
   * sound is deleted from there as soon as the library says so). */
  PERSONA_DATA_DIR: z.string().default(() => dataDir()),
});
export type Config = z.infer<typeof configSchema>;
