import { existsSync } from "node:fs";
import { join } from "node:path";
import { runService } from "@persona/bus";
import { configSchema } from "./config.ts";
import { startGreeter } from "./greeter.ts";
import { detectPlayer } from "./player.ts";

await runService({
  name: "greeter",
  config: configSchema,
  async start({ config, log, bus }) {
    if (!existsSync(config.GREETER_DEFAULT_SOUND))
      throw new Error(`GREETER_DEFAULT_SOUND ${config.GREETER_DEFAULT_SOUND} does not exist`);
    const player =
      config.GREETER_PLAYER === "none"
        ? null
        : detectPlayer(config.GREETER_PLAYER, (err, file) => {
            if (err) log.warn({ err: err.message, file }, "playback failed");
          });
    if (!player && config.GREETER_PLAYER !== "none") {
      log.warn(
        { wanted: config.GREETER_PLAYER },
        "no audio player found (install ffmpeg for ffplay, or mpg123): greetings are published for the console to play, not played here",
      );
    }
    const greeter = await startGreeter({
      bus,
      player,
      now: () => Date.now(),
      log,
      options: {
        cooldownMs: config.GREETER_COOLDOWN_SECONDS * 1000,
        staleTrackMs: config.GREETER_STALE_TRACK_SECONDS * 1000,
        maxAgeMs: config.GREETER_MAX_AGE_SECONDS * 1000,
        defaultSound: config.GREETER_DEFAULT_SOUND,
        cacheDir: join(config.PERSONA_DATA_DIR, "greeter-sounds"),
        eventEarlyMinutes: config.GREETER_EVENT_EARLY_MINUTES,
      },
    });
    return {
      checks: [
        { name: "library", check: () => ({ ok: greeter.library.ready }) },
        { name: "sessions", check: () => ({ ok: greeter.sessions.ready }) },
        { name: "player", check: () => ({ ok: true, detail: player ? player.name : "none: greetings are only published" }) },
      ],
      stop: () => greeter.stop(),
    };
  },
});
