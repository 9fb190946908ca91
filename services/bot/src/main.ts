import { runService } from "@persona/bus";
import { openStore, storeConfigFromEnv } from "@persona/store";
import { AdminPassword } from "./access.ts";
import { startBot } from "./bot.ts";
import { configSchema } from "./config.ts";

await runService({
  name: "bot",
  config: configSchema,
  async start({ config, log, bus }) {
    const token = config.TELEGRAM_BOT_TOKEN;
    if (!token) {
      log.warn("TELEGRAM_BOT_TOKEN is not set: the bot stays idle");
      return { checks: [{ name: "telegram", check: () => ({ ok: true, detail: "idle: TELEGRAM_BOT_TOKEN is not set" }) }] };
    }
    const password = await AdminPassword.fromPlain(config.BOT_ADMIN_PASSWORD as string);
    const store = await openStore(storeConfigFromEnv({ ...process.env, STORE_URL: config.STORE_URL }));
    const bot = await startBot({
      bus,
      store,
      log,
      now: () => Date.now(),
      password,
      options: {
        token,
        apiRoot: config.TELEGRAM_API_ROOT,
        maxPhotoBytes: config.BOT_MAX_PHOTO_MB * 1024 * 1024,
        enrollTimeoutMs: config.BOT_ENROLL_TIMEOUT_SECONDS * 1000,
        downloadTimeoutMs: 60_000,
        albumWaitMs: config.BOT_ALBUM_WAIT_MS,
        alertQuietMs: config.BOT_ALERT_QUIET_SECONDS * 1000,
        login: {
          maxFailures: config.BOT_LOGIN_MAX_ATTEMPTS,
          windowMs: config.BOT_LOGIN_WINDOW_SECONDS * 1000,
          lockoutMs: config.BOT_LOGIN_LOCKOUT_SECONDS * 1000,
        },
        sessionMs: config.BOT_SESSION_HOURS * 3600_000,
        confirmTtlMs: config.BOT_CONFIRM_SECONDS * 1000,
        importDir: config.PERSONA_IMPORT_DIR ?? null,
        importTimeoutMs: config.BOT_IMPORT_TIMEOUT_SECONDS * 1000,
        natsUrl: config.NATS_URL,
        healthHost: config.BOT_STATUS_HOST,
        healthPorts: {
          camera: config.CAMERA_HEALTH_PORT,
          recognizer: config.RECOGNIZER_HEALTH_PORT,
          trainer: config.TRAINER_HEALTH_PORT,
          greeter: config.GREETER_HEALTH_PORT,
          cleaner: config.CLEANER_HEALTH_PORT,
          portal: config.PORTAL_HEALTH_PORT,
          bot: config.HEALTH_PORT,
        },
        timeZone: config.BOT_TIME_ZONE,
        digestAt: config.BOT_DIGEST_TIME ?? null,
        eraseTimeoutMs: config.BOT_ERASE_TIMEOUT_SECONDS * 1000,
        retryMs: 5000,
        visitorTimeoutMs: config.BOT_VISITOR_TIMEOUT_SECONDS * 1000,
      },
    });
    return {
      checks: [
        { name: "library", check: () => ({ ok: bot.library.ready }) },
        { name: "visitors", check: () => ({ ok: bot.visitors.ready }) },
        {
          name: "telegram",
          check: () =>
            bot.failure !== null
              ? { ok: false, detail: bot.failure }
              : bot.username === null
                ? { ok: false, detail: "connecting to the Bot API" }
                : { ok: true, detail: `polling as @${bot.username}` },
        },
      ],
      stop: async () => {
        await bot.stop();
        await store.close();
      },
    };
  },
});
