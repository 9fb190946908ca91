import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { cameraLive, streamEnvelopesFrom, testBus } from "@persona/bus/testing";
import { createLogger } from "@persona/runtime";
import { configSchema as recognizerConfig, startRecognizer } from "@persona/service-recognizer";
import { BotChatsRepository, type DocumentStore } from "@persona/store";
import { Teardown, waitFor } from "@persona/testing";
import { decodeImage, encodeJpeg, resolveModelPath } from "@persona/vision";
import { ERASE_PHRASE, REFUSAL, type RunningBot, START_TEXT } from "./bot.ts";
import type { FakeTelegram, RecordedCall } from "./testing/fakeTelegram.ts";
import { ask as askBot, logIn, startBotWorld, startTestBot, textOf } from "./testing/harness.ts";

const DATA = "/work/shared/datasets";
const lfw = (person: string, n: number) => readFileSync(join(DATA, "lfw", person, `${person}_${String(n).padStart(4, "0")}.jpg`));
const skip = !existsSync(join(DATA, "lfw"))
  ? "the LFW data set is not at /work/shared/datasets"
  : !existsSync(resolveModelPath("dlib-resnet29.onnx"))
    ? "models not built (run make models)"
    : undefined;

const PASSWORD = "correct horse battery staple";
const MB = 1024 * 1024;

/** A real image without a face: the background strip below the face of an LFW photo. */
async function noFaceImage(): Promise<Buffer> {
  const img = await decodeImage(lfw("Colin_Powell", 1));
  const w = img.width;
  const y0 = 200;
  const h = img.height - y0;
  const data = Buffer.alloc(w * h * 3);
  img.data.subarray(y0 * w * 3, img.height * w * 3).forEach((v, i) => {
    data[i] = v;
  });
  return encodeJpeg({ width: w, height: h, data } as never, 90);
}

describe("Telegram bot against a fake Bot API, real NATS, SQLite and the real recognizer", { skip }, () => {
  let bus: Bus;
  let store: DocumentStore;
  let tg: FakeTelegram;
  let bot: RunningBot;
  let now = Date.parse("2026-03-02T10:00:00Z");

  const streamSeq = async (stream: string) => (await bus.jsm.streams.info(stream)).state.last_seq;
  const streamEvents = (stream: string, fromSeq = 1) => streamEnvelopesFrom(bus, stream, fromSeq);
  const login = (chatId: number) => logIn(tg, chatId, PASSWORD);
  /** Sends a text and waits for the bot's first reply to it. */
  const ask = (chatId: number, text: string, match: (c: RecordedCall) => boolean = () => true, timeoutMs = 15_000) =>
    askBot(tg, chatId, text, match, timeoutMs);
  const personNamed = (name: string) => [...bot.library.state.people.values()].find((p) => p.name === name);

  const started = new Teardown();
  before(async () => {
    const world = await startBotWorld(started, "persona-bot-");
    ({ bus, store } = world);
    const recBus = started.use(await testBus(world.server.url, "recognizer"));
    started.use(await startRecognizer(recBus, recognizerConfig.parse({}), createLogger("recognizer", "silent")));
    // the import folder /reset reads: one person in the paper's format
    const folder = join(world.dir, "import", "Colin_Powell");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "1.jpg"), lfw("Colin_Powell", 1));
    writeFileSync(join(folder, "data.txt"), "Colin Powell\nStatesman\n1.jpg\n");
    // nothing listens on the health ports: /status must say so
    ({ bot, tg } = await startTestBot(
      started,
      world,
      { password: PASSWORD, now: () => now },
      { albumWaitMs: 400, sessionMs: 30 * 24 * 3600_000, importDir: join(world.dir, "import"), importTimeoutMs: 120_000 },
    ));
    assert.equal(bot.username, "persona_test_bot");
  });

  after(() => started.run());

  test("must hold: a chat that has not logged in gets nothing but a refusal, whatever it sends", async () => {
    const stranger = 501;
    const group = -777;
    const streams = ["COMMANDS", "LIBRARY", "ALERTS", "SYSTEM", "DEADLETTER"];
    const before = await Promise.all(streams.map(streamSeq));
    const photosBefore = (await (await bus.objectStore("photos")).status()).size;
    const callsBefore = tg.calls.length;
    const repo = await BotChatsRepository.open(store);

    const sent: { kind: "message" | "callback" | "start"; id: number }[] = [];
    const say = (text: string, kind: "message" | "start" = "message") =>
      sent.push({ kind, id: tg.text(stranger, text).updateId });
    say("hello");
    say("/start", "start");
    say("/help", "start");
    for (const cmd of ["/people", "/find Angelina", "/remove Angelina Jolie", "/status", "/subscribe", "/unsubscribe"]) say(cmd);
    for (const cmd of ["/reset", "/clear", ERASE_PHRASE, "/logout", "/nonsense", "/login@other_bot " + PASSWORD]) say(cmd);
    sent.push({ kind: "message", id: tg.photo(stranger, lfw("Angelina_Jolie", 1), { caption: "Mallory" }).updateId });
    sent.push({
      kind: "message",
      id: tg.photo(stranger, lfw("Al_Pacino", 1), { caption: "Mallory", mediaGroupId: "m1" }).updateId,
    });
    sent.push({ kind: "message", id: tg.photo(stranger, lfw("Al_Pacino", 2), { mediaGroupId: "m1" }).updateId });
    sent.push({
      kind: "message",
      id: tg.document(stranger, Buffer.from("%PDF-1.4\n"), { mimeType: "application/pdf", fileName: "x.pdf", caption: "Mallory" })
        .updateId,
    });
    sent.push({ kind: "message", id: tg.photo(stranger, null, { caption: "Big", size: 20 * MB }).updateId });
    sent.push({ kind: "message", id: tg.sticker(stranger) });
    for (const data of [
      "c:y:0123456789ab",
      `al:e:${crypto.randomUUID()}`,
      `al:i:${crypto.randomUUID()}`,
      "dup:0123456789abcdef",
      "anything",
    ]) {
      sent.push({ kind: "callback", id: tg.callback(stranger, data).updateId });
    }
    // the right password in a group: refused there, and the message holding it deleted
    const inGroup = tg.text(group, `/login ${PASSWORD}`);
    await tg.drained();
    await new Promise((r) => setTimeout(r, 800)); // the album wait and anything detached

    const calls = tg.calls.slice(callsBefore).filter((c) => c.method !== "getUpdates");
    const toStranger = calls.filter((c) => c.chatId === stranger || c.method === "answerCallbackQuery");
    const messages = toStranger.filter((c) => c.method === "sendMessage");
    const answers = toStranger.filter((c) => c.method === "answerCallbackQuery");
    const nonCallbacks = sent.filter((s) => s.kind !== "callback");
    assert.equal(messages.length, nonCallbacks.length, "one reply per message");
    assert.equal(messages.filter((c) => c.params.text === START_TEXT).length, 2, "/start and /help explain how to log in");
    assert.ok(
      messages.every((c) => c.params.text === REFUSAL || c.params.text === START_TEXT),
      JSON.stringify(messages.map(textOf)),
    );
    assert.ok(
      messages.every((c) => c.params.reply_markup === undefined),
      "no buttons for a stranger",
    );
    assert.equal(answers.length, 5);
    assert.ok(answers.every((c) => c.params.text === REFUSAL));
    // nothing else happened: no other method for this chat, no file fetched, nothing published or stored
    const others = calls.filter((c) => c.chatId !== group && !["sendMessage", "answerCallbackQuery"].includes(c.method));
    assert.deepEqual(
      others.map((c) => c.method),
      [],
    );
    assert.deepEqual(tg.downloads, []);
    assert.deepEqual(await Promise.all(streams.map(streamSeq)), before, "nothing was published");
    assert.equal((await (await bus.objectStore("photos")).status()).size, photosBefore, "no photo was stored");
    assert.equal(await repo.get(stranger), undefined, "nothing about the chat was stored");

    const groupCalls = calls.filter((c) => c.chatId === group);
    assert.deepEqual(
      groupCalls.map((c) => c.method),
      ["deleteMessage", "sendMessage"],
    );
    assert.equal(groupCalls[0]?.params.message_id, inGroup.messageId);
    assert.match(textOf(groupCalls[1] as RecordedCall), /^⛔ Log in only in a private chat/);
    assert.equal((await repo.get(group))?.isAdmin ?? false, false);
    assert.ok(!calls.some((c) => c.method.startsWith("send") && textOf(c).includes(PASSWORD)), "the password is never echoed");
  });

  test("login: wrong passwords lock the chat out (even the right one is refused then), the password messages are deleted", async () => {
    const chat = 601;
    const from = tg.calls.length;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(tg.text(chat, `/login wrong-${i}`).messageId);
    ids.push(tg.text(chat, `/login ${PASSWORD}`).messageId);
    await tg.drained();
    const mine = tg.calls.slice(from).filter((c) => c.chatId === chat);
    assert.deepEqual(
      mine.filter((c) => c.method === "deleteMessage").map((c) => Number(c.params.message_id)),
      ids,
      "every /login message is deleted",
    );
    const texts = mine.filter((c) => c.method === "sendMessage").map(textOf);
    assert.match(texts[0] as string, /Wrong password\. 2 attempt/);
    assert.match(texts[1] as string, /Wrong password\. 1 attempt/);
    assert.match(texts[2] as string, /locked out for 15 min/);
    assert.match(texts[3] as string, /Too many wrong passwords/);
    assert.equal(await (await BotChatsRepository.open(store)).get(chat), undefined);
    assert.match(textOf(await ask(chat, "/people")), /^⛔ Not allowed/);

    now += 900_001; // the lockout ends
    await login(chat);
    assert.equal((await (await BotChatsRepository.open(store)).get(chat))?.isAdmin, true);
    assert.match(textOf(await ask(chat, "/people")), /library is empty|people:|person:/);

    // logout: back to refusals
    assert.match(textOf(await ask(chat, "/logout")), /^Logged out/);
    assert.equal(textOf(await ask(chat, "/people")), REFUSAL);
    assert.equal((await (await BotChatsRepository.open(store)).get(chat))?.isAdmin, false);
  });

  test("enrol: a photo with a caption answers with the face found; an album adds all its photos in one request", async () => {
    const chat = 701;
    await login(chat);
    let from = tg.calls.length;
    tg.photo(chat, lfw("Angelina_Jolie", 1), { caption: "Angelina Jolie\nActress" });
    const face = await tg.waitForCall((c) => c.chatId === chat && c.method === "sendPhoto", { from, timeoutMs: 60_000 });
    assert.match(textOf(face), /^✅ The photo: added to Angelina Jolie\. This is the face I found, quality 0\.\d\d/);
    const jpeg = face.files.photo as Buffer;
    assert.ok(jpeg && jpeg[0] === 0xff && jpeg[1] === 0xd8, "the aligned face crop is sent as a JPEG");
    const done = await tg.waitForCall((c) => c.chatId === chat && textOf(c).includes("is enrolled"), { from, timeoutMs: 30_000 });
    assert.match(textOf(done), /Angelina Jolie is enrolled \(id p-[0-9a-f]{20}\) with 1 of 1 photo/);
    const angelina = await waitFor(() => personNamed("Angelina Jolie"));
    assert.equal(angelina.description, "Actress");
    assert.equal(angelina.source, "bot");
    assert.equal(angelina.templates.size, 1);
    const key = angelina.photos[0]?.key ?? "";
    assert.match(key, new RegExp(`^${angelina.personId}/[0-9a-f]{64}\\.jpg$`));
    assert.ok(await (await bus.objectStore("photos")).info(key), "the photo is in the photos bucket");

    // the same face under another name: refused as hers, with a button to insist
    from = tg.calls.length;
    tg.photo(chat, lfw("Angelina_Jolie", 1), { caption: "A. Jolie" });
    const offer = await tg.waitForCall((c) => c.chatId === chat && /as A\. Jolie anyway/.test(textOf(c)), {
      from,
      timeoutMs: 60_000,
    });
    const refusal = tg.calls.slice(from).find((c) => c.chatId === chat && /^❌ The photo: not added/.test(textOf(c)));
    assert.match(refusal ? textOf(refusal) : "", /already someone else's in the library: Angelina Jolie \(p-[0-9a-f]{20}\)/);
    const insist = (offer.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] })
      .inline_keyboard[0]?.[0];
    assert.equal(insist?.text, "Enroll anyway");
    assert.equal(personNamed("A. Jolie"), undefined, "nobody enrolled before the button");
    from = tg.calls.length;
    tg.callback(chat, insist?.callback_data as string, 4301);
    await tg.waitForCall((c) => c.chatId === chat && /A\. Jolie is enrolled/.test(textOf(c)), { from, timeoutMs: 60_000 });
    const twin = await waitFor(() => personNamed("A. Jolie"));
    // a second press, or another chat's, does nothing: the offer is used
    from = tg.calls.length;
    tg.callback(chat, insist?.callback_data as string, 4302);
    await tg.waitForCall((c) => c.chatId === chat && /offer has expired/.test(textOf(c)), { from, timeoutMs: 10_000 });
    // (two entries for one face would make her unknown in the tests below)
    await bus.publish(bus.envelope("PersonRemoved", { personId: twin.personId, reason: "test", by: "test" }));
    await waitFor(() => personNamed("A. Jolie") === undefined);

    // an album of a new person: three photos, one request
    from = tg.calls.length;
    const libBefore = await streamSeq("LIBRARY");
    tg.photo(chat, lfw("Al_Pacino", 1), { caption: "Al Pacino\nActor", mediaGroupId: "album-1" });
    tg.photo(chat, lfw("Al_Pacino", 2), { mediaGroupId: "album-1" });
    tg.photo(chat, lfw("Al_Pacino", 3), { mediaGroupId: "album-1" });
    const summary = await tg.waitForCall((c) => c.chatId === chat && /Al Pacino (is enrolled|was not)/.test(textOf(c)), {
      from,
      timeoutMs: 90_000,
    });
    const perPhoto = tg.calls.slice(from).filter((c) => c.chatId === chat && /^[✅❌] Photo \d/.test(textOf(c)));
    assert.equal(perPhoto.length, 3, perPhoto.map(textOf).join("\n"));
    const added = perPhoto.filter((c) => c.method === "sendPhoto");
    assert.match(textOf(summary), new RegExp(`with ${added.length} of 3 photos`));
    assert.equal(added.length, 3, perPhoto.map(textOf).join("\n"));
    const answers = (await streamEvents("LIBRARY", libBefore + 1)).filter((e) => e.type === "FaceTemplateAdded");
    assert.equal(answers.length, added.length);
    assert.equal(new Set(answers.map((e) => e.causationId)).size, 1, "the album went in one EnrollPerson");
    const pacino = await waitFor(() => personNamed("Al Pacino"));
    await waitFor(() => pacino.templates.size === added.length);
  });

  test("enrol, bad input: no face, several faces, a document that is not an image, a fake image, a 20 MB file", async () => {
    const chat = 701;
    const downloadsBefore = tg.downloads.length;
    const replyTo = async (send: () => void, pattern: RegExp) => {
      const from = tg.calls.length;
      send();
      return tg.waitForCall((c) => c.chatId === chat && pattern.test(textOf(c)), { from, timeoutMs: 60_000 });
    };
    const noCaption = await replyTo(() => tg.photo(chat, lfw("Angelina_Jolie", 2)), /caption/);
    assert.match(textOf(noCaption), /^Send the photo with the person's name as its caption/);

    const bg = await noFaceImage();
    assert.match(
      textOf(await replyTo(() => tg.photo(chat, bg, { caption: "Nobody Here" }), /^❌/)),
      /^❌ The photo: not added: no face was found in the photo\.$/,
    );
    const crowd = readFileSync(join(DATA, "crowd", "facenet_pytorch_multiface.jpg"));
    assert.match(
      textOf(await replyTo(() => tg.photo(chat, crowd, { caption: "The Cast" }), /^❌/)),
      /^❌ The photo: not added: the photo shows several faces; send a photo of one person\.$/,
    );
    const getFiles = () => tg.calls.filter((c) => c.method === "getFile").length;
    /** A document captioned "Someone" and the bot's refusal. */
    const refusedDocument = (bytes: Buffer | null, o: { mimeType: string; fileName: string; size?: number }) =>
      replyTo(() => tg.document(chat, bytes, { ...o, caption: "Someone" }), /^❌/);
    let gf = getFiles();
    const pdf = await refusedDocument(Buffer.from("%PDF-1.4\n%fake\n"), { mimeType: "application/pdf", fileName: "cv.pdf" });
    assert.match(textOf(pdf), /not added: it is not an image\.$/);
    assert.equal(getFiles(), gf, "a document that is not an image is not fetched");

    const fake = await refusedDocument(Buffer.from("just some text, not a JPEG"), { mimeType: "image/jpeg", fileName: "a.jpg" });
    assert.match(textOf(fake), /not added: it is not an image\.$/);

    gf = getFiles();
    const downloads = tg.downloads.length;
    const big = await replyTo(() => tg.photo(chat, null, { caption: "Someone", size: 20 * MB }), /^❌/);
    assert.match(textOf(big), /not added: the file is too large\.$/);
    const bigDoc = await refusedDocument(null, { mimeType: "image/png", fileName: "huge.png", size: 20 * MB });
    assert.match(textOf(bigDoc), /not added: the file is too large\.$/);
    assert.equal(getFiles(), gf, "files over the limit are not fetched");
    assert.equal(tg.downloads.length, downloads, "nor downloaded");
    // a file whose size Telegram under-reports is cut off at the limit
    const liar = await replyTo(() => tg.photo(chat, Buffer.alloc(11 * MB, 0xff), { caption: "Someone", size: 1000 }), /^❌/);
    assert.match(textOf(liar), /not added: the file is too large\.$/);
    assert.ok(tg.downloads.length > downloadsBefore);
    assert.equal(personNamed("Someone"), undefined);
    assert.equal(personNamed("Nobody Here"), undefined);
    assert.equal(personNamed("The Cast"), undefined);
  });

  test("/people, /find, and /remove with a confirmation bound to the chat that asked", async () => {
    const chat = 701;
    const other = 702;
    await login(other);
    assert.match(
      textOf(await ask(chat, "/people")),
      /^2 people:\n• Al Pacino — Actor \(\d templates?, id p-[0-9a-f]+\)\n• Angelina Jolie — Actress/,
    );
    assert.match(textOf(await ask(chat, "/find angelina jolie")), /^Angelina Jolie\nid: p-/);
    assert.match(textOf(await ask(chat, "/find act")), /^2 match\(es\)/);
    assert.match(textOf(await ask(chat, "/remove Nobody")), /^Nobody with the id or name "Nobody"/);

    const pacino = personNamed("Al Pacino");
    assert.ok(pacino);
    const question = await ask(chat, "/remove al pacino");
    assert.match(textOf(question), /^Remove Al Pacino \(id p-/);
    const keyboard = question.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
    const [yes, no] = keyboard.inline_keyboard[0] ?? [];
    assert.equal(yes?.text, "Yes");
    assert.equal(no?.text, "No");
    const libBefore = await streamSeq("LIBRARY");

    // another admin chat cannot answer this chat's question
    let from = tg.calls.length;
    tg.callback(other, yes?.callback_data as string);
    const foreign = await tg.waitForCall((c) => c.method === "answerCallbackQuery", { from });
    assert.match(textOf(foreign), /expired/);

    // "No" keeps the person (and uses up the question)
    from = tg.calls.length;
    tg.callback(chat, no?.callback_data as string, 4242);
    const kept = await tg.waitForCall((c) => c.method === "editMessageText", { from });
    assert.equal(kept.params.message_id, 4242);
    assert.equal(textOf(kept), "Kept Al Pacino.");
    assert.equal(await streamSeq("LIBRARY"), libBefore);
    assert.ok(personNamed("Al Pacino"));

    const again = await ask(chat, `/remove ${pacino.personId}`);
    const yes2 = (again.params.reply_markup as typeof keyboard).inline_keyboard[0]?.[0]?.callback_data as string;
    from = tg.calls.length;
    tg.callback(chat, yes2, 4243);
    const removed = await tg.waitForCall((c) => c.method === "editMessageText", { from });
    assert.equal(textOf(removed), `Removed Al Pacino (id ${pacino.personId}).`);
    const events = await streamEvents("LIBRARY", libBefore + 1);
    assert.deepEqual(
      events.map((e) => e.type),
      ["PersonRemoved"],
    );
    await waitFor(() => personNamed("Al Pacino") === undefined);
    // the same button again does nothing
    from = tg.calls.length;
    tg.callback(chat, yes2, 4243);
    assert.match(textOf(await tg.waitForCall((c) => c.method === "answerCallbackQuery", { from })), /expired/);
    assert.equal(await streamSeq("LIBRARY"), libBefore + 1);
  });

  test("alerts: only subscribed admin chats get them, with the crop, camera, time and buttons; the quiet period holds a burst", async () => {
    const subscribed = 701;
    const unsubscribed = 702;
    const stranger = 501;
    assert.match(textOf(await ask(subscribed, "/subscribe")), /now receives alerts/);
    const crop = lfw("Gloria_Macapagal_Arroyo", 1);
    const raise = async (cameraId: string) => {
      const alertId = crypto.randomUUID();
      await bus.publish(
        bus.envelope("AlertRaised", {
          alertId,
          rule: "unknown-at-door",
          kind: "unknown-at-perimeter",
          severity: "high",
          message: `Unknown person at ${cameraId}`,
          cameraId,
          personId: null,
          trackId: "t1",
          sightingId: null,
          crop: { kind: "inline", contentType: "image/jpeg", base64: crop.toString("base64") },
        }),
      );
      return alertId;
    };
    const settled = () =>
      waitFor(async () => {
        const i = await bus.jsm.consumers.info("ALERTS", "bot-alerts");
        return i.num_pending === 0 && i.num_ack_pending === 0;
      });

    let from = tg.calls.length;
    const first = await raise("door");
    const sent = await tg.waitForCall((c) => c.method === "sendPhoto" && textOf(c).includes("Unknown person at door"), { from });
    assert.equal(sent.chatId, subscribed);
    assert.match(textOf(sent), /camera: door\ntime: 2 Mar 2026|camera: door\ntime: /);
    assert.ok((sent.files.photo as Buffer).equals(crop), "the alert's crop is the photo");
    const buttons = (sent.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] })
      .inline_keyboard[0];
    assert.deepEqual(
      buttons?.map((b) => b.callback_data),
      [`al:e:${first}`, `al:i:${first}`],
    );
    assert.equal(buttons?.[0]?.text, "Enroll as …");

    // the same camera again within the quiet period: held back; another camera: sent
    const second = await raise("door");
    const third = await raise("yard");
    await tg.waitForCall((c) => c.method === "sendPhoto" && textOf(c).includes("at yard"), { from });
    await settled();
    const alertCalls = tg.calls
      .slice(from)
      .filter((c) => c.method === "sendPhoto" || (c.method === "sendMessage" && textOf(c).includes("Unknown person")));
    assert.deepEqual(
      alertCalls.map((c) => [c.chatId, textOf(c).split("\n")[0]]),
      [
        [subscribed, "🚨 Unknown person at door"],
        [subscribed, "🚨 Unknown person at yard"],
      ],
    );
    assert.ok(!tg.calls.slice(from).some((c) => c.chatId === unsubscribed || c.chatId === stranger));
    void second;
    now += 61_000;
    from = tg.calls.length;
    const fourth = await raise("door");
    const later = await tg.waitForCall((c) => c.method === "sendPhoto" && textOf(c).includes("at door"), { from });
    assert.equal(
      (later.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard[0]?.[1]?.callback_data,
      `al:i:${fourth}`,
    );

    // "Ignore" acknowledges the alert and takes the buttons away
    const alertsSeq = await streamSeq("ALERTS");
    from = tg.calls.length;
    tg.callback(subscribed, `al:i:${third}`, 5151);
    await tg.waitForCall((c) => c.method === "editMessageReplyMarkup" && c.params.message_id === 5151, { from });
    const acks = (await streamEvents("ALERTS", alertsSeq + 1)).filter((e) => e.type === "AlertAcknowledged");
    assert.equal(acks.length, 1);
    assert.equal(acks[0]?.type === "AlertAcknowledged" && acks[0].data.alertId, third);

    // "Enroll as ..." asks for the name, then enrolls the alert's face as a new person
    from = tg.calls.length;
    tg.callback(subscribed, `al:e:${first}`);
    await tg.waitForCall((c) => c.chatId === subscribed && textOf(c).startsWith("Who is it?"), { from });
    from = tg.calls.length;
    tg.text(subscribed, "Gloria Arroyo\nVisitor");
    const enrolled = await tg.waitForCall(
      (c) => c.chatId === subscribed && /Gloria Arroyo (is enrolled|was not)/.test(textOf(c)),
      {
        from,
        timeoutMs: 60_000,
      },
    );
    assert.match(textOf(enrolled), /Gloria Arroyo is enrolled \(id p-[0-9a-f]+\) with 1 of 1 photo/);
    assert.ok(tg.calls.slice(from).some((c) => c.method === "sendPhoto" && textOf(c).startsWith("✅ The alert's face: added")));
    const gloria = await waitFor(() => personNamed("Gloria Arroyo"));
    assert.equal(gloria.description, "Visitor");
    const resolved = await waitFor(async () =>
      (await streamEvents("ALERTS", alertsSeq + 1)).find((e) => e.type === "AlertResolved" && e.data.alertId === first),
    );
    assert.match(resolved.type === "AlertResolved" ? resolved.data.note : "", /enrolled as Gloria Arroyo/);

    // unsubscribed: no more alerts
    assert.match(textOf(await ask(subscribed, "/unsubscribe")), /no longer receives alerts/);
    now += 61_000;
    from = tg.calls.length;
    await raise("door");
    await settled();
    assert.ok(!tg.calls.slice(from).some((c) => c.method === "sendPhoto"));
  });

  test("/status: services, cameras and consumer lag", async () => {
    await bus.publish(bus.envelope("CameraStatusChanged", cameraLive("door", { source: "rtsp://door" })));
    const status = textOf(await ask(701, "/status", (c) => textOf(c).startsWith("Services:")));
    assert.match(status, /^Services: 0 of 7 ready\n❌ camera down — no answer on port 1/);
    assert.match(status, /Cameras: 1 of 1 live\n✅ door \(entrance\): live since/);
    assert.match(status, /• ALERTS\/bot-alerts: 0 waiting, 0 in progress/);
    assert.match(status, /COMMANDS\/enrollment/);
  });

  test("/reset reads the import folder again with persona import and keeps everyone else", async () => {
    const question = await ask(701, "/reset");
    assert.match(textOf(question), /^Read the import folder again\?/);
    const yes = (question.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard[0]?.[0]
      ?.callback_data as string;
    const from = tg.calls.length;
    tg.callback(701, yes, 6001);
    const done = await tg.waitForCall((c) => c.chatId === 701 && textOf(c).startsWith("Import folder read again"), {
      from,
      timeoutMs: 120_000,
    });
    assert.match(textOf(done), /1 folder\(s\): 1 imported, 0 updated/);
    await waitFor(() => personNamed("Colin Powell"));
    assert.ok(personNamed("Angelina Jolie"), "everyone else is kept");
    assert.ok(personNamed("Gloria Arroyo"));
  });

  test("/clear needs the exact phrase, then asks the cleaner to erase every person and reports its confirmations", async () => {
    // The cleaner answers an erasure with a PersonErased audit record caused by the RemovePerson command. Here the test
    // answers for it (two of three), so both the confirmed and the "is the cleaner running?" paths are seen.
    const chat = 701;
    const seq = await streamSeq("COMMANDS");
    assert.match(textOf(await ask(chat, "/clear")), /send exactly: ERASE EVERYTHING/);
    assert.equal(textOf(await ask(chat, "erase everything")), "Not erased: the phrase did not match.");
    assert.equal(await streamSeq("COMMANDS"), seq);
    assert.match(textOf(await ask(chat, ERASE_PHRASE)), /^Send a photo/, "the question was used up");
    assert.match(textOf(await ask(chat, "/clear")), /ERASE EVERYTHING/);
    const people = [...bot.library.state.people.values()];
    assert.equal(people.length, 3);
    const from = tg.calls.length;
    tg.text(chat, ERASE_PHRASE);
    await tg.waitForCall((c) => c.chatId === chat && textOf(c).startsWith("Erasure requested for 3 people"), { from });
    const commands = (await streamEvents("COMMANDS", seq + 1)).filter((e) => e.type === "RemovePerson");
    assert.deepEqual(
      commands.map((e) => (e.type === "RemovePerson" ? e.data.personId : "")).sort(),
      people.map((p) => p.personId).sort(),
    );
    assert.ok(commands.every((e) => e.type === "RemovePerson" && e.data.erase && e.data.requestedBy === `telegram:${chat}`));
    for (const c of commands.slice(0, 2)) {
      if (c.type !== "RemovePerson") continue;
      await bus.publish(
        bus.envelope(
          "PersonErased",
          { personId: c.data.personId, by: c.data.requestedBy, removed: { photos: 1 } },
          { causationId: c.id },
        ),
      );
    }
    const last = commands[2];
    const missing = people.find((p) => last?.type === "RemovePerson" && p.personId === last.data.personId)?.name;
    const report = await tg.waitForCall((c) => c.chatId === chat && /^(🗑 )?Erased/.test(textOf(c)), { from, timeoutMs: 20_000 });
    assert.equal(
      textOf(report),
      `Erased 2 of 3 people. Not confirmed within 4 s: ${missing} — is the cleaner running? The requests stay queued.`,
    );
  });
});
