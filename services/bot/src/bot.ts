import type { ConsumerLoop } from "@persona/bus";
import type { LibraryFollower, VisitorFollower } from "@persona/library";
import { Telegraf } from "telegraf";
import { startAlertDelivery } from "./alerts.ts";
import { HELP_TEXT, MENU } from "./commands/index.ts";
import { type BotDeps, createDeps } from "./deps.ts";
import { gate } from "./gate.ts";
import { Polling } from "./polling.ts";
import { QuietPeriod } from "./quiet.ts";
import { DailyDigest, startAbsenteeDelivery } from "./sessions.ts";
import { redact } from "./util.ts";

/**
 * The Telegram bot: long polling through telegraf against TELEGRAM_API_ROOT. Every update goes through one gate
 * (gate.ts): a chat that has not logged in gets a refusal and nothing else (only /login, /start and /help are
 * answered, with how to log in); nothing it sends is downloaded, stored or published. The commands are the table
 * in commands/index.ts, one file each; buttons, photos and texts are handled in handlers/.
 */

export { ERASE_PHRASE } from "./commands/clear.ts";
export { HELP_TEXT, MENU } from "./commands/index.ts";
export type { BotDeps, BotOptions } from "./deps.ts";
export { REFUSAL, START_TEXT } from "./texts.ts";

export interface RunningBot {
  library: LibraryFollower;
  /** The visitors the trainer published, with the operators' decisions. */
  visitors: VisitorFollower;
  /** null until getMe answered; then the bot's username. */
  readonly username: string | null;
  /** Why polling stopped, if it did. */
  readonly failure: string | null;
  alerts: ConsumerLoop;
  /** Absentees of ended occurrences to their owners (SESSIONS). */
  absentees: ConsumerLoop;
  /** The daily digest, when BOT_DIGEST_TIME is set. */
  digest: DailyDigest | null;
  stop(): Promise<void>;
}

export async function startBot(b: BotDeps): Promise<RunningBot> {
  const { log, options: o } = b;
  const bot = new Telegraf(o.token, { telegram: { apiRoot: o.apiRoot }, handlerTimeout: 60_000 });
  const d = await createDeps(b, bot.telegram, HELP_TEXT);
  bot.use(gate(d));
  bot.catch((err, ctx) => {
    log.error({ err: redact(err, o.token), updateId: ctx.update.update_id }, "handling a Telegram update failed");
  });
  const polling = new Polling(bot, o, log, () => {
    void bot.telegram.setMyCommands(MENU).catch((err: Error) => log.warn({ err: err.message }, "cannot set the command menu"));
  });
  await polling.start();
  const alerts = await startAlertDelivery({
    bus: b.bus,
    telegram: bot.telegram,
    chats: d.chats,
    quiet: new QuietPeriod(o.alertQuietMs),
    now: b.now,
    log: log.child({ part: "alerts" }),
    timeZone: o.timeZone,
  });
  const notices = { bus: b.bus, telegram: bot.telegram, chats: d.chats, library: d.library, now: b.now };
  const absentees = await startAbsenteeDelivery({ ...notices, log: log.child({ part: "absentees" }) });
  const timeZone = o.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const digest = o.digestAt
    ? new DailyDigest({ ...notices, log: log.child({ part: "digest" }) }, { at: o.digestAt, timeZone })
    : null;
  digest?.start();
  return {
    library: d.library,
    visitors: d.visitors,
    alerts,
    absentees,
    digest,
    get username() {
      return polling.username;
    },
    get failure() {
      return polling.failure;
    },
    async stop() {
      await polling.stop();
      d.albums.flushAll();
      d.libraryWaits.cancelAll();
      await d.tasks.idle();
      await alerts.stop();
      await absentees.stop();
      await digest?.stop();
      await d.watcher.close();
      await d.library.stop();
      await d.visitors.stop();
    },
  };
}
