import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { testBus } from "@persona/bus/testing";
import { createLogger } from "@persona/runtime";
import { configSchema as cleanerConfig, startCleaner } from "@persona/service-cleaner";
import { configSchema as recognizerConfig, startRecognizer } from "@persona/service-recognizer";
import { openStore } from "@persona/store";
import { startNatsServer, waitFor } from "@persona/testing";
import { resolveModelPath } from "@persona/vision";
import { AdminPassword } from "./access.ts";
import { ERASE_PHRASE, startBot } from "./bot.ts";
import { FakeTelegram } from "./testing/fakeTelegram.ts";
import { logIn, testBotOptions, textOf } from "./testing/harness.ts";

const DATA = "/work/shared/datasets";
const skip = !existsSync(join(DATA, "lfw"))
  ? "the LFW data set is not at /work/shared/datasets"
  : !existsSync(resolveModelPath("dlib-resnet29.onnx"))
    ? "models not built (run make models)"
    : undefined;

test("/clear with the real cleaner: every person enrolled from Telegram is erased and the cleaner confirms it", {
  skip,
}, async (t) => {
  await using server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), "persona-bot-clear-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ url: `sqlite:${join(dir, "persona.db")}` });
  t.after(() => store.close());
  const log = createLogger("test", process.env.LOG_LEVEL ?? "silent");
  const recBus = await testBus(server.url, "recognizer");
  const recognizer = await startRecognizer(recBus, recognizerConfig.parse({}), log);
  const cleanerBus = await testBus(server.url, "cleaner");
  const cleaner = await startCleaner({
    bus: cleanerBus,
    store,
    config: cleanerConfig.parse({ ERASE_SETTLE_SECONDS: 0 }),
    log,
    schedule: false,
  });
  const bus = await testBus(server.url, "bot");
  const tg = await FakeTelegram.start();
  const bot = await startBot({
    bus,
    store,
    log,
    now: () => Date.now(),
    password: await AdminPassword.fromPlain("a long enough password"),
    options: testBotOptions(tg, server.url, {
      login: { maxFailures: 3, windowMs: 60_000, lockoutMs: 60_000 },
      confirmTtlMs: 60_000,
      timeZone: undefined,
      eraseTimeoutMs: 60_000,
    }),
  });
  t.after(async () => {
    await bot.stop();
    await tg.close();
    await bus.close();
    await cleaner.stop();
    await cleanerBus.close();
    await recognizer.stop();
    await recBus.close();
  });
  const chat = 900;
  await logIn(tg, chat, "a long enough password");
  let from: number;
  for (const [person, name] of [
    ["Angelina_Jolie", "Angelina Jolie"],
    ["Al_Pacino", "Al Pacino"],
  ] as const) {
    from = tg.calls.length;
    tg.photo(chat, readFileSync(join(DATA, "lfw", person, `${person}_0001.jpg`)), { caption: name });
    await tg.waitForCall((c) => c.chatId === chat && textOf(c).startsWith(`${name} is enrolled`), { from, timeoutMs: 60_000 });
  }
  await waitFor(() => bot.library.state.people.size === 2);
  const photos = [...bot.library.state.people.values()].flatMap((p) => p.photos.map((ph) => ph.key));
  assert.equal(photos.length, 2);

  from = tg.calls.length;
  tg.text(chat, "/clear");
  tg.text(chat, ERASE_PHRASE);
  const report = await tg.waitForCall((c) => c.chatId === chat && /^(🗑 )?Erased/.test(textOf(c)), { from, timeoutMs: 90_000 });
  assert.equal(
    textOf(report),
    "🗑 Erased 2 people with their photos, templates, crops, sightings and alerts (the cleaner confirmed each).",
  );
  await waitFor(() => bot.library.state.people.size === 0);
  const bucket = await bus.objectStore("photos");
  for (const key of photos) {
    assert.equal((await bucket.info(key))?.deleted ?? true, true, `${key} is erased`);
    assert.equal(await bucket.getBlob(key), null);
  }
  assert.deepEqual(
    (await bucket.list()).filter((o) => !o.deleted).map((o) => o.name),
    [],
  );
  assert.equal(recognizer.gallery.library.people.size, 0, "the recognizer no longer knows them");
});
