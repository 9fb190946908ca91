import { env, defaultStoreUrl } from "@persona/runtime";
import { z } from "zod";

/** The bot service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z
  .strictObject({
    /** The document store keeping the chats' logins and alert subscriptions (`bot_chats`): `sqlite:<file>` or
     * `mongodb://...`. Opened only when TELEGRAM_BOT_TOKEN is set. */
    STORE_URL: z.string().default(() => defaultStoreUrl()),
    /** Without a token the bot stays idle (and says so in its readiness). Never logged. */
    TELEGRAM_BOT_TOKEN: z.string().optional(),
    /** The Bot API server the bot polls: change it for a self-hosted telegram-bot-api (the tests use a local fake). */
    TELEGRAM_API_ROOT: env.url("https://api.telegram.org"),
    /** The admin password chats log in with; only its scrypt hash is kept in memory. Never logged. */
    BOT_ADMIN_PASSWORD: z.string().optional(),
    /** Wrong passwords allowed per chat within the window before a lockout. */
    BOT_LOGIN_MAX_ATTEMPTS: env.int(5, 1, 100),
    /** Wrong passwords count towards BOT_LOGIN_MAX_ATTEMPTS for this long (a sliding window per chat, kept in memory: a
     * restart forgets them). */
    BOT_LOGIN_WINDOW_SECONDS: env.int(900, 1, 86400),
    /** A chat that reached BOT_LOGIN_MAX_ATTEMPTS is refused for this long, whatever it sends (the right password too). */
    BOT_LOGIN_LOCKOUT_SECONDS: env.int(900, 1, 7 * 86400),
    /** A login expires after this many hours (0: never). */
    BOT_SESSION_HOURS: env.int(24 * 30, 0, 24 * 3650),
    /** After an alert from a camera, further alerts of the same kind from that camera are held back this long. */
    BOT_ALERT_QUIET_SECONDS: env.int(60, 0, 86400),
    /** Photos larger than this are refused before download. */
    BOT_MAX_PHOTO_MB: env.int(10, 1, 20),
    /** How long an enrollment by photo waits for the recognizers' answers; then the unanswered photos are reported refused
     * ("timeout") and the request is withdrawn if no recognizer has taken it yet. */
    BOT_ENROLL_TIMEOUT_SECONDS: env.int(60, 5, 600),
    /** How long the bot waits for more photos of an album. */
    BOT_ALBUM_WAIT_MS: env.int(1500, 100, 10_000),
    /** Confirmations (buttons, the erase phrase, the name for an alert's face) expire after this. */
    BOT_CONFIRM_SECONDS: env.int(300, 10, 86400),
    /** The folder /reset reads again with `persona import` (unset: /reset says it is not configured). */
    PERSONA_IMPORT_DIR: z.string().optional(),
    /** /reset's `persona import` child process is stopped (SIGTERM) after this long: raise it for a large import folder. */
    BOT_IMPORT_TIMEOUT_SECONDS: env.int(600, 10, 86400),
    /** How long /clear waits for the cleaner to confirm every erasure. */
    BOT_ERASE_TIMEOUT_SECONDS: env.int(300, 5, 86400),
    /** How long the bot waits for the trainer to enroll a visitor named in the chat before saying it did not. */
    BOT_VISITOR_TIMEOUT_SECONDS: env.int(30, 5, 600),
    /** Time zone of the times in alerts and visitors, and of BOT_DIGEST_TIME (IANA name; default the host's). */
    BOT_TIME_ZONE: z.string().optional(),
    /** The daily sessions digest: at this local time ("HH:MM", in BOT_TIME_ZONE) yesterday's occurrences with their
     * present/late/absent counts go to their owners' chats. Unset: no digest. */
    BOT_DIGEST_TIME: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time is HH:MM (00:00 to 23:59)")
      .optional(),
    /**
     * Health ports /status asks (the same settings and defaults as `persona status`), on BOT_STATUS_HOST; "{service}"
     * in it becomes each service's name (e.g. "persona-{service}" where every service has its own host).
     */
    BOT_STATUS_HOST: env.str("127.0.0.1"),
    /** The camera's HEALTH_PORT, where /status asks its /readyz (`persona status` reads the same variable). */
    CAMERA_HEALTH_PORT: env.port(9101),
    /** The recognizer's HEALTH_PORT, where /status asks its /readyz (`persona status` reads the same variable). */
    RECOGNIZER_HEALTH_PORT: env.port(9102),
    /** The trainer's HEALTH_PORT, where /status asks its /readyz (`persona status` reads the same variable). */
    TRAINER_HEALTH_PORT: env.port(9103),
    /** The greeter's HEALTH_PORT, where /status asks its /readyz (`persona status` reads the same variable). */
    GREETER_HEALTH_PORT: env.port(9104),
    /** The cleaner's HEALTH_PORT, where /status asks its /readyz (`persona status` reads the same variable). */
    CLEANER_HEALTH_PORT: env.port(9105),
    /** The portal's HEALTH_PORT, where /status asks its /readyz (`persona status` reads the same variable). The bot asks
     * itself on its own HEALTH_PORT. */
    PORTAL_HEALTH_PORT: env.port(9106),
  })
  .superRefine((c, ctx) => {
    if (c.TELEGRAM_BOT_TOKEN && !c.BOT_ADMIN_PASSWORD) {
      ctx.addIssue({ code: "custom", path: ["BOT_ADMIN_PASSWORD"], message: "required when TELEGRAM_BOT_TOKEN is set" });
    }
    if (c.BOT_ADMIN_PASSWORD !== undefined && c.BOT_ADMIN_PASSWORD.length < 8) {
      ctx.addIssue({ code: "custom", path: ["BOT_ADMIN_PASSWORD"], message: "must be at least 8 characters" });
    }
    if (c.BOT_TIME_ZONE !== undefined) {
      try {
        new Intl.DateTimeFormat("en", { timeZone: c.BOT_TIME_ZONE });
      } catch {
        ctx.addIssue({ code: "custom", path: ["BOT_TIME_ZONE"], message: "not a known time zone" });
      }
    }
  });
export type Config = z.infer<typeof configSchema>;
