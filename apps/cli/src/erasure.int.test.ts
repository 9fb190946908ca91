import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { type AnyEnvelope, AnyEnvelopeSchema, type EnvelopeOf, STREAMS } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { startProjections } from "@persona/service-portal/projections";
import { configSchema, startCleaner } from "@persona/service-cleaner";
import type { RunningRecognizer } from "@persona/service-recognizer";
import {
  enrollPerson,
  faceDetected,
  faceTrackEnded,
  type RecognizerWorld,
  recognizerSkipReason,
  startRecognizerWorld,
  uploadPhoto,
} from "@persona/service-recognizer/testing";
import { AlertsRepository, type DocumentStore, openStore } from "@persona/store";
import { Teardown, lfwPhoto, tempDir, waitFor } from "@persona/testing";
import { type FaceDetector, decodeImage, detectAndAlign, DEFAULT_EMBEDDER_MODEL, embedderSpec } from "@persona/vision";
// the CLI's command: what an operator runs
import { eraseCommand } from "./commands/erase.ts";
import { capture } from "./testing/capture.ts";

const skip = recognizerSkipReason();
const photo = lfwPhoto;
const log = createLogger("erasure-test", process.env.LOG_LEVEL ?? "silent");

const AJ = "angelina";
const AJ_NAME = "Angelina Jolie";
const AP = "powell";

/** Every message of a stream, raw text and parsed. */
async function messages(bus: Bus, stream: string): Promise<{ seq: number; text: string; env: AnyEnvelope | null }[]> {
  const info = await bus.jsm.streams.info(stream);
  const out: { seq: number; text: string; env: AnyEnvelope | null }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    const text = new TextDecoder().decode(m.data);
    const parsed = AnyEnvelopeSchema.safeParse(JSON.parse(text));
    out.push({ seq, text, env: parsed.success ? parsed.data : null });
  }
  return out;
}

describe("erasing a person: nothing of them is left anywhere, and the recognizer no longer knows them", { skip }, () => {
  let world: RecognizerWorld;
  let bus: Bus;
  let cleanerBus: Bus;
  let store: DocumentStore;
  let detector: FaceDetector;
  let recognizer: RunningRecognizer;
  let env: NodeJS.ProcessEnv;

  const enroll = async (personId: string, name: string, files: string[]) => {
    const photos = await Promise.all(files.map((f) => uploadPhoto(bus, personId, f)));
    const cmd = enrollPerson(bus, { personId, name, photos, description: "enrolled by the erasure test" });
    await bus.publish(cmd);
    await waitFor(
      async () =>
        (await messages(bus, "LIBRARY")).filter((m) => m.env?.causationId === cmd.id && m.env.type === "FaceTemplateAdded")
          .length === files.length,
      { timeoutMs: 60_000, message: `${name} enrolled` },
    );
  };

  /**
   * A track of aligned chips of `person`'s LFW photos 3 to 5 (the ones never enrolled) on the gate camera, as the
   * camera publishes it, and its end: the recognizer's TrackConcluded.
   */
  const track = async (trackId: string, person: string) => {
    const cameraId = "gate";
    const files = [3, 4, 5].map((n) => photo(person, n));
    for (const [i, f] of files.entries()) {
      const img = await decodeImage(f);
      const [face] = await detectAndAlign(img, { detector, template: embedderSpec(DEFAULT_EMBEDDER_MODEL).template });
      assert.ok(face, `a face in ${f}`);
      await bus.publish(await faceDetected(bus, { cameraId, trackId, shot: i + 1, frameNo: i * 10, frame: img, face }));
    }
    await bus.publish(faceTrackEnded(bus, cameraId, trackId, files.length));
    const done = await waitFor(
      async () =>
        (await messages(bus, "SIGHTINGS")).find((m) => m.env?.type === "TrackConcluded" && m.env.data.trackId === trackId)?.env,
      { timeoutMs: 60_000, message: `track ${trackId} concluded` },
    );
    assert.ok(done.type === "TrackConcluded");
    return done;
  };

  const started = new Teardown();
  before(async () => {
    world = await startRecognizerWorld(started, {}, log);
    ({ bus, detector, recognizer } = world);
    cleanerBus = started.use(await testBus(world.server.url, "cleaner"));
    env = { ...process.env, NATS_URL: world.server.url };
    store = started.use(await openStore({ url: `sqlite:${join(tempDir(started, "cleaner-erasure-"), "persona.db")}` }));
    started.use(await startProjections({ bus, store, log, timeZone: "UTC" }));
    started.use(
      await startCleaner({
        bus: cleanerBus,
        store,
        config: configSchema.parse({ ERASE_SETTLE_SECONDS: "5" }),
        log,
        schedule: false,
      }),
    );
  });
  after(() => started.run());

  let audit: EnvelopeOf<"PersonErased">;

  test("before: both people are enrolled, recognised on camera, projected, alerted about and greeted", async () => {
    await enroll(AJ, AJ_NAME, [photo("Angelina_Jolie", 1), photo("Angelina_Jolie", 2)]);
    await enroll(AP, "Colin Powell", [photo("Colin_Powell", 1), photo("Colin_Powell", 2)]);
    const aj = await track("t-aj", "Angelina_Jolie");
    assert.equal(aj.data.outcome.kind === "recognized" && aj.data.outcome.personId, AJ);
    const ap = await track("t-ap", "Colin_Powell");
    assert.equal(ap.data.outcome.kind === "recognized" && ap.data.outcome.personId, AP);
    // what other services publish about her: an alert (with its store row), a greeting, a dead-lettered message
    const alert = cleanerBus.envelope("AlertRaised", {
      alertId: crypto.randomUUID(),
      rule: "watchlist",
      kind: "watchlisted",
      severity: "high",
      message: `${AJ_NAME} seen at the gate`,
      cameraId: "gate",
      personId: AJ,
      trackId: "t-aj",
      sightingId: null,
      crop: null,
    });
    await cleanerBus.publish(alert);
    await cleanerBus.publish(
      cleanerBus.envelope("AlertAcknowledged", { alertId: alert.data.alertId, by: "guard", note: "seen" }),
    );
    await (await AlertsRepository.open(store)).put({
      id: alert.data.alertId,
      rule: "watchlist",
      severity: "high",
      status: "raised",
      message: alert.data.message,
      personId: AJ,
      cameraId: "gate",
      at: new Date(),
    });
    await cleanerBus.publish(
      cleanerBus.envelope("GreetingPlayed", {
        personId: AJ,
        personName: AJ_NAME,
        cameraId: "gate",
        trackId: "t-aj",
        sound: null,
        usedDefault: true,
        player: "none",
      }),
    );
    const recognizedMsg = (await messages(bus, "SIGHTINGS")).find(
      (m) => m.env?.type === "FaceRecognized" && m.env.data.personId === AJ,
    );
    assert.ok(recognizedMsg);
    await cleanerBus.publish(
      cleanerBus.envelope("MessageDeadLettered", {
        stream: "SIGHTINGS",
        consumer: "greeter",
        subject: "sightings.gate.recognized",
        streamSeq: recognizedMsg.seq,
        deliveries: 5,
        reason: "test",
        payloadBase64: Buffer.from(recognizedMsg.text).toString("base64"),
        truncated: false,
      }),
    );
    // the read models have her
    const people = await store.collection({ name: "people" });
    const attendance = await store.collection({ name: "attendance" });
    await waitFor(async () => (await people.get(AJ)) !== undefined && (await attendance.count({ personId: AJ })) === 1, {
      timeoutMs: 20_000,
      message: "projections applied",
    });
    assert.ok(recognizer.gallery.library.people.has(AJ));
  });

  test("persona erase: the cleaner erases her and answers with an audit record without biometric data", async () => {
    const o = capture();
    const code = await eraseCommand({ personId: AJ, yes: true, json: true, env, timeoutMs: 30_000 }, o);
    assert.equal(code, 0, o.err);
    const report = JSON.parse(o.out) as {
      erased: boolean;
      wasInLibrary: boolean;
      removed: Record<string, number>;
      auditId: string;
    };
    assert.equal(report.erased, true);
    assert.equal(report.wasInLibrary, true);
    const found = (await messages(bus, "SYSTEM")).find((m) => m.env?.type === "PersonErased" && m.env.id === report.auditId);
    assert.ok(found?.env?.type === "PersonErased");
    audit = found.env;
    assert.deepEqual(Object.keys(audit.data).sort(), ["by", "personId", "removed"]);
    assert.equal(audit.data.personId, AJ);
    assert.equal(audit.data.by, "cli");
    assert.ok(!found.text.includes("Angelina") && !found.text.includes("Jolie"), "no name in the audit");
    assert.ok(!/base64|embedding|jpeg|photos\//i.test(found.text), "no photo, crop or embedding in the audit");
    const r = audit.data.removed;
    assert.ok((r.libraryEvents ?? 0) >= 4, `library events removed: ${JSON.stringify(r)}`);
    assert.equal(r.photos, 2);
    assert.ok((r.sightingMessages ?? 0) >= 4, "3 shots and the conclusion");
    assert.equal(r.alertMessages, 2);
    assert.equal(r.systemMessages, 1);
    assert.equal(r.deadLetters, 1);
    assert.equal(r.people, 1);
    assert.equal(r.attendance, 1);
    assert.ok((r.sightings ?? 0) >= 3);
    assert.equal(r.alerts, 1);
    assert.ok((r.trackVotes ?? 0) >= 1);
  });

  test("no store query, object or stream message returns anything of her; Colin Powell is untouched", async () => {
    // every read model, whatever its shape
    const collections = [
      "people",
      "person_templates",
      "sightings",
      "presence",
      "presence_concluded",
      "sighting_tracks",
      "unknown_tracks",
      "visitor_tracks",
      "attendance",
      "attendance_spans",
      "alerts",
    ];
    for (const name of collections) {
      const docs = await (await store.collection({ name })).find({});
      const text = JSON.stringify(docs);
      assert.ok(!text.includes(AJ) && !text.includes('t-aj"'), `${name} mentions her: ${text.slice(0, 300)}`);
    }
    assert.ok(await (await store.collection({ name: "people" })).get(AP), "Colin Powell keeps his row");
    assert.ok((await (await store.collection({ name: "sightings" })).count({ personId: AP })) >= 1);
    // objects
    for (const bucket of ["photos", "sounds", "crops"]) {
      const names = (await (await bus.objectStore(bucket)).list()).filter((o) => !o.deleted).map((o) => o.name);
      assert.deepEqual(
        names.filter((n) => n.startsWith(`${AJ}/`)),
        [],
        `${bucket} has her objects`,
      );
    }
    assert.equal(
      (await (await bus.objectStore("photos")).list()).filter((o) => !o.deleted && o.name.startsWith(`${AP}/`)).length,
      2,
    );
    // streams: not her id, not her name, not her track (the audit record keeps her id only)
    for (const s of STREAMS) {
      for (const m of await messages(bus, s.name)) {
        if (m.env?.type === "PersonErased") continue;
        assert.ok(!m.text.includes(AJ) && !m.text.includes("Jolie"), `${s.name} #${m.seq} mentions her: ${m.text.slice(0, 200)}`);
        assert.ok(!m.text.includes('"t-aj"'), `${s.name} #${m.seq} is of her track`);
      }
    }
    assert.ok((await messages(bus, "LIBRARY")).some((m) => m.env?.type === "PersonEnrolled" && m.env.data.personId === AP));
    // the recognizers' shared track votes
    const kv = await bus.kv("tracks");
    for await (const k of await kv.keys()) {
      const e = await kv.get(k);
      if (e && e.operation === "PUT" && e.length > 0) assert.ok(!e.string().includes(AJ), `track vote ${k} mentions her`);
    }
  });

  const isUnknownTrack = (e: EnvelopeOf<"TrackConcluded">) => e.data.outcome.kind !== "recognized";

  test("the running recognizer no longer recognises her", async () => {
    assert.equal(recognizer.gallery.library.people.has(AJ), false);
    const done = await track("t-after-1", "Angelina_Jolie");
    assert.ok(isUnknownTrack(done), `concluded ${JSON.stringify(done.data.outcome)}`);
    const shots = (await messages(bus, "SIGHTINGS")).filter(
      (m) => (m.env?.type === "FaceRecognized" || m.env?.type === "UnknownFaceSeen") && m.env.data.trackId === "t-after-1",
    );
    assert.equal(shots.length, 3);
    for (const s of shots) assert.ok(!s.text.includes(AJ), "no shot names her or has her as nearest");
  });

  test("a freshly started recognizer (gallery replayed from the stream) does not know her either", async () => {
    recognizer = await world.restartRecognizer();
    assert.equal(recognizer.gallery.ready, true);
    assert.equal(recognizer.gallery.library.people.has(AJ), false);
    assert.equal(recognizer.gallery.library.people.has(AP), true);
    const done = await track("t-after-2", "Angelina_Jolie");
    assert.ok(isUnknownTrack(done), `concluded ${JSON.stringify(done.data.outcome)}`);
    // and still knows Colin Powell
    const ap = await track("t-after-ap", "Colin_Powell");
    assert.equal(ap.data.outcome.kind === "recognized" && ap.data.outcome.personId, AP);
  });

  test("erasing her again is harmless: nothing more is removed, a second audit record says so", async () => {
    const o = capture();
    assert.equal(await eraseCommand({ personId: AJ, yes: true, json: true, env }, o), 0, o.err);
    const report = JSON.parse(o.out) as { wasInLibrary: boolean; removed: Record<string, number> };
    assert.equal(report.wasInLibrary, false);
    assert.deepEqual(report.removed, {});
    assert.ok(await (await store.collection({ name: "people" })).get(AP));
  });

  test("persona erase refuses a malformed id and a declined confirmation erases nothing", async () => {
    await assert.rejects(eraseCommand({ personId: "a.b>", yes: true, json: false, env }, capture()), /not a person id/);
    const o = capture();
    assert.equal(await eraseCommand({ personId: AP, yes: false, json: false, env }, o), 1);
    assert.match(o.out, /not erased/);
    assert.ok(await (await store.collection({ name: "people" })).get(AP));
  });
});
