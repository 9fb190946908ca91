import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { type NatsServerHandle, createLogger } from "@persona/runtime";
import { type DocumentStore, openStore } from "@persona/store";
import { Teardown, startNatsServer, tempDir } from "@persona/testing";
import { AdminPassword } from "../access.ts";
import { type RunningBot, startBot } from "../bot.ts";
import type { BotOptions } from "../deps.ts";
import { FakeTelegram, type RecordedCall } from "./fakeTelegram.ts";

/** What a bot test runs on: a nats-server, the bot's bus on it, and a SQLite store in `dir`, a fresh temp folder. */
export interface BotWorld {
  server: NatsServerHandle;
  bus: Bus;
  store: DocumentStore;
  dir: string;
}

/** A `BotWorld` (its folder named `<prefix>XXXXXX`), released after the test (`t`: a test, or a suite's `Teardown`). */
export async function startBotWorld(t: Pick<TestContext, "after">, prefix: string): Promise<BotWorld> {
  const started = new Teardown();
  t.after(() => started.run());
  const dir = tempDir(started, prefix);
  const server = started.use(await startNatsServer());
  const bus = started.use(await testBus(server.url, "bot"));
  const store = started.use(await openStore({ url: `sqlite:${join(dir, "persona.db")}` }));
  return { server, bus, store, dir };
}

/**
 * The bot under test in `world`, with the admin password `password` and the clock `now`, talking to a fresh fake Bot
 * API (`testBotOptions` with `over`); its log silent unless LOG_LEVEL says otherwise. Both stopped after the test.
 */
export async function startTestBot(
  t: Pick<TestContext, "after">,
  world: BotWorld,
  { password, now = Date.now }: { password: string; now?: () => number },
  over: Partial<BotOptions> = {},
): Promise<{ bot: RunningBot; tg: FakeTelegram }> {
  const started = new Teardown();
  t.after(() => started.run());
  const tg = started.use(await FakeTelegram.start());
  const bot = started.use(
    await startBot({
      bus: world.bus,
      store: world.store,
      log: createLogger("bot", process.env.LOG_LEVEL ?? "silent"),
      now,
      password: await AdminPassword.fromPlain(password),
      options: testBotOptions(tg, world.server.url, over),
    }),
  );
  return { bot, tg };
}

/**
 * The options of a bot under test talking to the fake Bot API `tg`: short waits, logins that do not expire, no
 * import folder, UTC, and health ports nothing listens on (/status says so). `over` replaces any of them.
 */
export function testBotOptions(tg: FakeTelegram, natsUrl: string, over: Partial<BotOptions> = {}): BotOptions {
  return {
    token: tg.token,
    apiRoot: tg.apiRoot,
    maxPhotoBytes: 10 * 1024 * 1024,
    enrollTimeoutMs: 60_000,
    downloadTimeoutMs: 10_000,
    albumWaitMs: 300,
    alertQuietMs: 60_000,
    login: { maxFailures: 3, windowMs: 600_000, lockoutMs: 900_000 },
    sessionMs: 0,
    confirmTtlMs: 300_000,
    importDir: null,
    importTimeoutMs: 60_000,
    natsUrl,
    healthHost: "127.0.0.1",
    healthPorts: { camera: 1, recognizer: 1, trainer: 1, greeter: 1, cleaner: 1, portal: 1, bot: 1 },
    timeZone: "UTC",
    eraseTimeoutMs: 4000,
    retryMs: 200,
    ...over,
  };
}

/** What a sent message or photo says (its text, else its caption). */
export const textOf = (c: Pick<RecordedCall, "params">) => String(c.params.text ?? c.params.caption ?? "");

/** Logs `chatId` in with `password` and waits for the bot's "Logged in". */
export async function logIn(tg: FakeTelegram, chatId: number, password: string): Promise<void> {
  const from = tg.calls.length;
  tg.text(chatId, `/login ${password}`);
  await tg.waitForCall((c) => c.chatId === chatId && c.method === "sendMessage" && textOf(c).startsWith("✅ Logged in"), {
    from,
  });
}

/** Sends a text from `chatId` and waits for the bot's first message or photo to that chat that matches. */
export async function ask(
  tg: FakeTelegram,
  chatId: number,
  text: string,
  match: (c: RecordedCall) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<RecordedCall> {
  const from = tg.calls.length;
  tg.text(chatId, text);
  return tg.waitForCall((c) => c.chatId === chatId && (c.method === "sendMessage" || c.method === "sendPhoto") && match(c), {
    from,
    timeoutMs,
  });
}
