import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { streamEnvelopesFrom, testBus } from "@persona/bus/testing";
import type { DataOf, EnvelopeOf, ImageRef } from "@persona/contracts";
import { encodeEmbedding, personIdForVisitor } from "@persona/library";
import { createLogger } from "@persona/runtime";
import { Teardown, waitFor } from "@persona/testing";
import { CLUSTER_DEFAULTS } from "@persona/recognition";
import { VisitorService } from "@persona/service-trainer/visitors";
import { REFUSAL, type RunningBot } from "./bot.ts";
import type { FakeTelegram, RecordedCall } from "./testing/fakeTelegram.ts";
import { type BotWorld, ask as askBot, logIn, startBotWorld, startTestBot, textOf } from "./testing/harness.ts";

/**
 * Unknown visitors in Telegram: real nats-server, SQLite, the fake Bot API. Visitor events are published as the
 * trainer publishes them (some before the bot starts: it replays them); the last test runs the trainer's real
 * VisitorService in-process (no face models: synthetic embeddings) to see a naming end to end.
 */

const DATA = "/work/shared/datasets";
const lfw = (person: string, n: number) => readFileSync(join(DATA, "lfw", person, `${person}_${String(n).padStart(4, "0")}.jpg`));
const skip = !existsSync(join(DATA, "lfw")) ? "the LFW data set is not at /work/shared/datasets" : undefined;

const PASSWORD = "correct horse battery staple";
const ADMIN = 701;
const STRANGER = 501;
const TIMEOUT_MS = 4000;

// visitor ids chosen so that their prefixes can be tested: V1 and V2 share "11aa"
const V1 = "11aa0000-0000-4000-8000-000000000001";
const V2 = "11aa1111-0000-4000-8000-000000000002";
const V3 = "22cc0000-0000-4000-8000-000000000003"; // absorbed into V1
const V4 = "33dd0000-0000-4000-8000-000000000004"; // ignored in the portal before the bot started
const V5 = "44ee0000-0000-4000-8000-000000000005";
const V6 = "55ff0000-0000-4000-8000-000000000006"; // published while the bot runs
const V7 = "66aa0000-0000-4000-8000-000000000007";

const photoOf = (c: RecordedCall | undefined): Buffer => {
  assert.ok(c?.files.photo, "a photo was sent");
  return c.files.photo;
};
const inline = (bytes: Buffer): ImageRef => ({ kind: "inline", contentType: "image/jpeg", base64: bytes.toString("base64") });
const quality = (score: number) => ({ score, faceSize: 110, eyeDistance: 42, sharpness: 120, yaw: 0, pitch: 0, roll: 0 });

describe("visitors in Telegram against a fake Bot API and real NATS", { skip }, () => {
  let world: BotWorld;
  let bus: Bus;
  let tg: FakeTelegram;
  let bot: RunningBot;
  const crops = new Map<string, Buffer>();
  let storedCrop: Buffer;

  const summary = (visitorId: string, lastSeen: string, crop: ImageRef, over: Partial<DataOf<"VisitorClustered">> = {}) => ({
    visitorId,
    faces: 6,
    visits: 3,
    firstSeen: "2026-03-02T08:00:00.000Z",
    lastSeen,
    cameras: ["gate"],
    bestCrops: [1, 2].map((n) => ({
      detectionId: crypto.randomUUID(),
      cameraId: "gate",
      trackId: `${visitorId.slice(0, 4)}-t${n}`,
      quality: 0.9 - n / 10,
      seenAt: lastSeen,
      crop,
    })),
    absorbed: [],
    ...over,
  });
  const latest = new Map<string, DataOf<"VisitorClustered">>();
  const publishSummary = async (type: "VisitorClustered" | "VisitorUpdated", data: DataOf<"VisitorClustered">) => {
    latest.set(data.visitorId, data);
    return bus.publish(bus.envelope(type, data, { source: "trainer" }));
  };
  const sightings = (fromSeq: number) => streamEnvelopesFrom(bus, "SIGHTINGS", fromSeq);
  const lastSeq = async () => (await bus.jsm.streams.info("SIGHTINGS")).state.last_seq;
  const decisions = async (fromSeq: number) =>
    (await sightings(fromSeq)).filter(
      (e): e is EnvelopeOf<"VisitorNamed" | "VisitorIgnored"> => e.type === "VisitorNamed" || e.type === "VisitorIgnored",
    );
  /** Sends a text and waits for the bot's reply that matches. */
  const ask = (chatId: number, text: string, match: (c: RecordedCall) => boolean = () => true) => askBot(tg, chatId, text, match);
  const reply = async (text: string) => textOf(await ask(ADMIN, text));
  /** /visitors: the header, then one photo (or text) per open visitor; returns them once `count` arrived. */
  const listVisitors = async (count: number) => {
    const from = tg.calls.length;
    tg.text(ADMIN, "/visitors");
    const header = await tg.waitForCall((c) => c.chatId === ADMIN && c.method === "sendMessage", { from });
    const items = () => tg.calls.slice(from).filter((c) => c.chatId === ADMIN && textOf(c).startsWith("👤 Visitor"));
    if (count > 0) await waitFor(() => items().length >= count);
    await tg.drained();
    return { header: textOf(header), items: items() };
  };

  const started = new Teardown();
  before(async () => {
    world = await startBotWorld(started, "persona-bot-visitors-");
    bus = world.bus;
    crops.set(V1, lfw("Tony_Blair", 1));
    crops.set(V5, lfw("Gloria_Macapagal_Arroyo", 1));
    crops.set(V6, lfw("Al_Pacino", 1));
    crops.set(V7, lfw("Angelina_Jolie", 1));
    // V2's face is in the Object Store (a stored ImageRef), not inline
    storedCrop = lfw("Colin_Powell", 1);
    const photos = await bus.objectStore("photos");
    await photos.putBlob({ name: "visitors/v2.jpg" }, storedCrop);
    const stored: ImageRef = {
      kind: "stored",
      ref: {
        bucket: "photos",
        key: "visitors/v2.jpg",
        contentType: "image/jpeg",
        size: storedCrop.length,
        sha256: "0".repeat(64),
      },
    };

    // before the bot starts: the bot must replay these
    await publishSummary("VisitorClustered", summary(V1, "2026-03-02T10:00:00.000Z", inline(crops.get(V1) as Buffer)));
    await publishSummary("VisitorClustered", summary(V2, "2026-03-02T11:00:00.000Z", stored));
    await publishSummary("VisitorClustered", summary(V3, "2026-03-02T09:00:00.000Z", inline(lfw("Tony_Blair", 2))));
    await publishSummary("VisitorClustered", summary(V4, "2026-03-02T09:30:00.000Z", inline(lfw("Tony_Blair", 3))));
    await publishSummary("VisitorClustered", summary(V5, "2026-03-02T12:00:00.000Z", inline(crops.get(V5) as Buffer)));
    await publishSummary(
      "VisitorUpdated",
      summary(V1, "2026-03-02T10:00:00.000Z", inline(crops.get(V1) as Buffer), { faces: 9, visits: 5, absorbed: [V3] }),
    );
    await bus.publish(bus.envelope("VisitorIgnored", { visitorId: V4, by: "portal:bob", reason: "the postman" }));

    ({ bot, tg } = await startTestBot(started, world, { password: PASSWORD }, { visitorTimeoutMs: TIMEOUT_MS }));
    assert.ok(bot.visitors.ready);
    assert.deepEqual(
      [...bot.visitors.state.visitors.keys()].sort(),
      [V1, V2, V4, V5],
      "the visitor events published before the start are applied when it returns (V3 was merged into V1)",
    );
    await logIn(tg, ADMIN, PASSWORD);
  });

  after(() => started.run());

  test("a chat that has not logged in is refused every visitor command and button; nothing is published", async () => {
    const seq = await lastSeq();
    const from = tg.calls.length;
    const texts = ["/visitors", `/name_visitor 11aa0 Mallory`, `/name_visitor 11aa0 =Ann`, `/ignore_visitor 44ee spam`];
    for (const t of texts) tg.text(STRANGER, t);
    for (const data of [`vi:n:${V5}`, `vi:i:${V5}`]) tg.callback(STRANGER, data);
    await tg.drained();
    await new Promise((r) => setTimeout(r, 300));
    const calls = tg.calls.slice(from).filter((c) => c.method !== "getUpdates");
    assert.deepEqual(
      calls.map((c) => [c.method, textOf(c)]),
      [...texts.map(() => ["sendMessage", REFUSAL]), ["answerCallbackQuery", REFUSAL], ["answerCallbackQuery", REFUSAL]],
    );
    assert.equal(await lastSeq(), seq, "nothing was published");
  });

  test("/visitors lists the open visitors, most recent first, each with its face and Name / Ignore buttons", async () => {
    // published while the bot runs: followed live
    await publishSummary("VisitorClustered", summary(V6, "2026-03-02T13:00:00.000Z", inline(crops.get(V6) as Buffer)));
    await publishSummary("VisitorClustered", summary(V7, "2026-03-02T14:00:00.000Z", inline(crops.get(V7) as Buffer)));
    await waitFor(() => bot.visitors.state.visitors.has(V7));

    const { header, items } = await listVisitors(5);
    assert.match(
      header,
      /^5 open visitors \(0 named and 1 ignored are not shown\): recurring unknown faces, most recent first\./,
    );
    assert.match(header, /\/name_visitor <id> <name>/);
    assert.deepEqual(
      items.map((c) => textOf(c).split("\n")[0]),
      ["👤 Visitor 66aa0000", "👤 Visitor 55ff0000", "👤 Visitor 44ee0000", "👤 Visitor 11aa1111", "👤 Visitor 11aa0000"],
      "open visitors only (not the merged 22cc0000 nor the ignored 33dd0000), most recent first",
    );
    assert.ok(
      items.every((c) => c.method === "sendPhoto"),
      "each with a photo",
    );
    const byId = new Map(items.map((c) => [/Visitor ([0-9a-f]{8})/.exec(textOf(c))?.[1], c]));
    assert.ok(photoOf(byId.get("11aa0000")).equals(crops.get(V1) as Buffer), "an inline crop");
    assert.ok(photoOf(byId.get("11aa1111")).equals(storedCrop), "a crop from the Object Store");
    const v1 = byId.get("11aa0000") as RecordedCall;
    assert.equal(
      textOf(v1),
      [
        "👤 Visitor 11aa0000",
        "5 visits · 9 faces · camera: gate",
        "last seen: 2 Mar 2026, 10:00:00 UTC",
        "first seen: 2 Mar 2026, 08:00:00 UTC",
        "/name_visitor 11aa0000 <name> · /ignore_visitor 11aa0000",
      ].join("\n"),
    );
    assert.deepEqual(v1.params.reply_markup, {
      inline_keyboard: [
        [
          { text: "Name", callback_data: `vi:n:${V1}` },
          { text: "Ignore", callback_data: `vi:i:${V1}` },
        ],
      ],
    });
  });

  test("bad ids and names get clear answers and publish nothing", async () => {
    const seq = await lastSeq();
    assert.match(await reply("/name_visitor"), /^Usage: \/name_visitor <id> <name>/);
    assert.match(await reply("/name_visitor 11aa0"), /^Usage: \/name_visitor <id> <name>/);
    assert.match(await reply("/ignore_visitor"), /^Usage: \/ignore_visitor <id> \[reason\]/);
    assert.match(await reply("/name_visitor 11a Ann"), /^"11a" is not a visitor id: give at least the first 4 characters/);
    assert.match(await reply("/name_visitor xyz1 Ann"), /^"xyz1" is not a visitor id/);
    assert.equal(
      await reply("/name_visitor ffff0000 Ann"),
      'No visitor id starts with "ffff0000". /visitors lists the open visitors.',
    );
    assert.match(
      await reply("/name_visitor 11aa Ann"),
      /^2 visitors start with "11aa"; give more characters of the id:\n• 11aa0000 — 5 visits, 9 faces, gate, .*\n• 11aa1111 — /,
    );
    assert.equal(
      await reply("/ignore_visitor 22cc"),
      "Visitor 22cc0000 was merged into visitor 11aa0000 (the same face); use 11aa0000.",
    );
    assert.match(
      await reply("/ignore_visitor 33dd"),
      /^Visitor 33dd0000 was already ignored by portal:bob on .* \(the postman\)\.$/,
    );
    assert.match(await reply("/name_visitor 11aa0 =Nobody"), /^Nobody with the id or name "Nobody"/);
    assert.match(await reply("/name_visitor 11aa0 /start"), /^A name that starts with \/ is a command/);
    assert.equal(await lastSeq(), seq, "nothing was published");
  });

  test("/name_visitor publishes VisitorNamed for a new person and confirms once the person is in the library", async () => {
    const seq = await lastSeq();
    const answer = await reply("/name_visitor 11AA0 Ann  Visitor");
    const personId = personIdForVisitor(V1);
    assert.equal(
      answer,
      `📝 Visitor 11aa0000: enrolling its 2 best faces as a new person, Ann Visitor (id ${personId}). Waiting for the trainer…`,
    );
    const [named, ...others] = await decisions(seq + 1);
    assert.equal(others.length, 0);
    assert.equal(named?.type, "VisitorNamed");
    assert.deepEqual(named?.data, { visitorId: V1, personId, existing: false, name: "Ann Visitor", by: "telegram:701" });

    // the trainer's answer (as services/trainer/src/visitors does it): the person, then one template per best face
    const from = tg.calls.length;
    const cause = { source: "trainer", causationId: named?.id as string, correlationId: named?.correlationId as string };
    await bus.publish(
      bus.envelope(
        "PersonEnrolled",
        {
          personId,
          name: "Ann Visitor",
          description: `named from visitor ${V1}`,
          photos: [],
          sound: null,
          source: "visitor",
          importKey: null,
        },
        cause,
      ),
    );
    for (const b of latest.get(V1)?.bestCrops ?? []) {
      await bus.publish(
        bus.envelope(
          "FaceTemplateAdded",
          {
            personId,
            templateId: crypto.randomUUID(),
            embedding: { model: "m", dims: 2, base64: encodeEmbedding(new Float32Array([0.6, 0.8])) },
            quality: quality(b.quality),
            crop: b.crop,
            origin: { kind: "operator", by: "telegram:701", sightingId: b.detectionId },
          },
          cause,
        ),
      );
    }
    const confirmed = await tg.waitForCall((c) => c.chatId === ADMIN && textOf(c).startsWith("✅"), { from });
    assert.equal(
      textOf(confirmed),
      `✅ Ann Visitor is in the library (id ${personId}) with 2 templates from visitor 11aa0000's faces.`,
    );

    // named: not open any more, and cannot be named or ignored again
    assert.match(await reply("/name_visitor 11aa0 Someone Else"), /^Visitor 11aa0000 was already named Ann Visitor \(id p-/);
    assert.match(await reply("/ignore_visitor 11aa0000"), /^Visitor 11aa0000 was already named Ann Visitor/);
    const { items } = await listVisitors(4);
    assert.ok(!items.some((c) => textOf(c).startsWith("👤 Visitor 11aa0000")));
  });

  test("/name_visitor =<person> adds to someone in the library; a name already taken is refused; no trainer: a timeout message", async () => {
    const seq = await lastSeq();
    const ann = personIdForVisitor(V1);
    assert.match(
      await reply("/name_visitor 11aa1 ann visitor"),
      new RegExp(
        `^Someone is already named "ann visitor":\\n• Ann Visitor .*\\nTo add the visitor's faces to them: /name_visitor 11aa1111 =${ann}\\.`,
      ),
    );
    assert.equal(await lastSeq(), seq);

    const from = tg.calls.length;
    assert.equal(
      await reply("/name_visitor 11aa1 = ann visitor"),
      `📝 Visitor 11aa1111: adding its 2 best faces to Ann Visitor (id ${ann}). Waiting for the trainer…`,
    );
    const [named] = await decisions(seq + 1);
    assert.deepEqual(named?.data, { visitorId: V2, personId: ann, existing: true, name: "Ann Visitor", by: "telegram:701" });
    // nobody plays the trainer this time
    const late = await tg.waitForCall((c) => c.chatId === ADMIN && textOf(c).startsWith("⌛"), {
      from,
      timeoutMs: TIMEOUT_MS + 5000,
    });
    assert.equal(
      textOf(late),
      `⌛ The trainer has not enrolled visitor 11aa1111 as Ann Visitor within ${TIMEOUT_MS / 1000} s — is the trainer running? The naming is recorded; the trainer acts on it when it runs.`,
    );
  });

  test("/ignore_visitor publishes VisitorIgnored with the reason; the visitor leaves the open list", async () => {
    const seq = await lastSeq();
    assert.equal(
      await reply("/ignore_visitor 44ee courier, every Monday"),
      "🙈 Visitor 44ee0000 ignored (courier, every Monday): it leaves the open visitors. /name_visitor 44ee0000 <name> still names it.",
    );
    const [ignored, ...others] = await decisions(seq + 1);
    assert.equal(others.length, 0);
    assert.equal(ignored?.type, "VisitorIgnored");
    assert.deepEqual(ignored?.data, { visitorId: V5, by: "telegram:701", reason: "courier, every Monday" });
    assert.match(
      await reply("/ignore_visitor 44ee"),
      /^Visitor 44ee0000 was already ignored by telegram:701 on .* \(courier, every Monday\)\.$/,
    );
    const { header, items } = await listVisitors(2);
    assert.match(header, /^2 open visitors \(2 named and 2 ignored are not shown\)/);
    assert.deepEqual(
      items.map((c) => textOf(c).split("\n")[0]),
      ["👤 Visitor 66aa0000", "👤 Visitor 55ff0000"],
    );
  });

  test("the buttons: Ignore ignores at once and takes the buttons away; Name asks for the name", async () => {
    let seq = await lastSeq();
    let from = tg.calls.length;
    tg.callback(ADMIN, `vi:i:${V6}`, 8080);
    const answered = await tg.waitForCall((c) => c.method === "answerCallbackQuery", { from });
    assert.equal(textOf(answered), "Ignored");
    await tg.waitForCall((c) => c.method === "editMessageReplyMarkup" && c.params.message_id === 8080, { from });
    await tg.waitForCall((c) => c.chatId === ADMIN && textOf(c).startsWith("🙈 Visitor 55ff0000 ignored:"), { from });
    const [ignored] = await decisions(seq + 1);
    assert.deepEqual(ignored?.data, { visitorId: V6, by: "telegram:701", reason: "ignored in Telegram" });
    // the same button again: already ignored, nothing published
    seq = await lastSeq();
    from = tg.calls.length;
    tg.callback(ADMIN, `vi:i:${V6}`, 8080);
    const again = await tg.waitForCall((c) => c.method === "answerCallbackQuery", { from });
    assert.match(textOf(again), /^Visitor 55ff0000 was already ignored by telegram:701/);
    assert.equal(again.params.show_alert, true);
    assert.equal(await lastSeq(), seq);

    // Name: the next message is the name
    from = tg.calls.length;
    tg.callback(ADMIN, `vi:n:${V7}`, 8081);
    await tg.waitForCall(
      (c) =>
        c.chatId === ADMIN && textOf(c).startsWith("Who is visitor 66aa0000? Send the name of a new person, or =<name or id>"),
      { from },
    );
    assert.match(await reply("Bob Builder"), /^📝 Visitor 66aa0000: enrolling its 2 best faces as a new person, Bob Builder/);
    const [named] = await decisions(seq + 1);
    assert.deepEqual(named?.data, {
      visitorId: V7,
      personId: personIdForVisitor(V7),
      existing: false,
      name: "Bob Builder",
      by: "telegram:701",
    });
    // a forged button for a visitor nobody published
    from = tg.calls.length;
    tg.callback(ADMIN, `vi:n:${crypto.randomUUID()}`);
    assert.match(textOf(await tg.waitForCall((c) => c.method === "answerCallbackQuery", { from })), /is no longer listed/);
    const { header } = await listVisitors(0);
    assert.match(header, /^No open visitors \(3 named and 3 ignored are not shown\)/);
  });

  test("with the trainer's real VisitorService: recurring unknown faces become a visitor, named from Telegram, enrolled, confirmed", async () => {
    const trainerBus = await testBus(world.server.url, "trainer");
    const trainer = new VisitorService({
      bus: trainerBus,
      model: "test-embedder",
      dims: 16,
      options: { cluster: CLUSTER_DEFAULTS, minVisits: 2, bestCrops: 3 },
      dataDir: join(world.dir, "trainer"),
      log: createLogger("trainer", process.env.LOG_LEVEL ?? "silent"),
    });
    try {
      await trainer.start();
      // four faces of one stranger on two passes at the gate: nearly the same embedding each time
      const base = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
      const face = (n: number) => {
        const v = base.map((x, i) => x + (i === n ? 0.01 : 0));
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      };
      const jpegs = [1, 2, 3, 4].map((n) => lfw("Hugo_Chavez", n));
      for (let i = 0; i < 4; i++) {
        await bus.publish(
          bus.envelope(
            "UnknownFaceSeen",
            {
              cameraId: "gate",
              trackId: `pass-${i % 2}`,
              detectionId: crypto.randomUUID(),
              bestSimilarity: 0.4,
              bestPersonId: null,
              quality: quality(0.5 + i / 10),
              frameAt: new Date(Date.now() - (4 - i) * 1000).toISOString(),
              crop: inline(jpegs[i] as Buffer),
              embedding: { model: "test-embedder", dims: 16, base64: encodeEmbedding(face(i)) },
            },
            { source: "recognizer" },
          ),
        );
      }
      const visitor = await waitFor(
        () => [...bot.visitors.state.visitors.values()].find((v) => v.status === "open" && v.faces === 4),
        { timeoutMs: 10_000 },
      );
      const id = visitor.visitorId.slice(0, 8);
      const { items } = await listVisitors(1);
      assert.equal(items.length, 1);
      assert.match(textOf(items[0] as RecordedCall), new RegExp(`^👤 Visitor ${id}\\n2 visits · 4 faces · camera: gate`));
      assert.ok(photoOf(items[0]).equals(jpegs[3] as Buffer), "the best face (highest quality) is the photo");

      const from = tg.calls.length;
      assert.match(
        await reply(`/name_visitor ${id} Hugo Chavez`),
        /^📝 Visitor .*: enrolling its 3 best faces as a new person, Hugo Chavez/,
      );
      const done = await tg.waitForCall((c) => c.chatId === ADMIN && /^(✅|⚠️|⌛)/.test(textOf(c)), {
        from,
        timeoutMs: TIMEOUT_MS + 5000,
      });
      const personId = personIdForVisitor(visitor.visitorId);
      assert.equal(
        textOf(done),
        `✅ Hugo Chavez is in the library (id ${personId}) with 3 templates from visitor ${id}'s faces.`,
      );
      const person = bot.library.state.people.get(personId);
      assert.equal(person?.source, "visitor");
      assert.equal(person?.templates.size, 3);
    } finally {
      await trainer.stop();
      await trainerBus.close();
    }
  });
});
