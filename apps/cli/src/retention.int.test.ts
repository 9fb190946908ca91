import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { personEnrolled, streamEnvelopes, testBus } from "@persona/bus/testing";
import type { AnyEnvelope } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { startProjections } from "@persona/service-portal/projections";
import { AlertsRepository, AttendanceRepository, PresenceRepository, SightingsRepository, openStore } from "@persona/store";
import { configSchema, openCollections, policyFromConfig, runRetention } from "@persona/service-cleaner";
import { alert, concluded, inlineCrop, putBlob, recognized, unknown } from "@persona/service-cleaner/testing";
import { startNatsServer, waitFor, tempDir } from "@persona/testing";
// the CLI's command: what an operator runs
import { retentionCommand } from "./commands/retention.ts";
import { capture } from "./testing/capture.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const log = createLogger("cleaner-test", process.env.LOG_LEVEL ?? "silent");

const tracksOf = (envs: AnyEnvelope[], type: AnyEnvelope["type"]) =>
  envs
    .filter((e) => e.type === type)
    .map((e) => (e.data as { trackId: string }).trackId)
    .sort();

test("retention with an injected clock removes exactly what expired from the read models, the streams and the Object Store", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "cleaner");
  t.after(() => bus.close());
  const dir = tempDir(t, "cleaner-retention-");
  const store = await openStore({ url: `sqlite:${join(dir, "persona.db")}` });
  t.after(() => store.close());
  const projections = await startProjections({ bus, store, log, timeZone: "UTC" });
  t.after(() => projections.stop());
  const alerts = await AlertsRepository.open(store);

  // a person in the library with a photo; a photo of nobody (an orphan)
  const annPhoto = await putBlob(bus, "photos", "ann/aaaa.jpg", Buffer.from("ann's photo"));
  await putBlob(bus, "photos", "ghost/bbbb.jpg", Buffer.from("nobody's photo"));
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("ann", "Ann Example", { photos: [annPhoto] })));

  // generation A (old), then generation B (new), split at T
  const publishGeneration = async (g: "a" | "b") => {
    const now = Date.now();
    const frameAt = new Date(now).toISOString();
    const cropRef = await putBlob(bus, "crops", `gate/${g}3.jpg`, Buffer.from(`stored crop ${g}`));
    await bus.publish(recognized(bus, "gate", `${g}1`, "ann", frameAt, inlineCrop(`${g}1`)));
    await bus.publish(unknown(bus, "gate", `${g}2`, frameAt, inlineCrop(`${g}2`)));
    await bus.publish(unknown(bus, "gate", `${g}3`, frameAt, { kind: "stored", ref: cropRef }));
    await bus.publish(concluded(bus, "gate", `${g}1`, new Date(now - 2000).toISOString(), frameAt, "ann"));
    const a = alert(bus, null, "gate", `${g}2`);
    await bus.publish(a);
    await alerts.put({ id: a.data.alertId, rule: a.data.rule, severity: "high", status: "raised", at: frameAt });
  };
  await publishGeneration("a");
  await sleep(1200);
  const T = Date.now();
  await sleep(200);
  await publishGeneration("b");

  const sightings = await SightingsRepository.open(store);
  const presence = await PresenceRepository.open(store);
  const attendance = await AttendanceRepository.open(store);
  // unconcluded tracks a2 a3 b2 b3 stay in view
  await waitFor(
    async () =>
      (await sightings.count()) === 6 &&
      (await attendance.listByPerson("ann")).length === 1 &&
      (await presence.inView()).length === 4,
    { message: "projections applied both generations" },
  );

  const collections = await openCollections(store);
  // applied-event records are checked on their own at the end (kept here so the counts below stay exact)
  const policy = policyFromConfig(configSchema.parse({ RETENTION_APPLIED_DAYS: "0" }));
  const run = (nowMs: number) => runRetention({ bus, collections, policy, now: () => nowMs, log });
  const crops = await bus.objectStore("crops");
  const photos = await bus.objectStore("photos");
  const objectNames = async (os: typeof crops) =>
    (await os.list())
      .filter((o) => !o.deleted)
      .map((o) => o.name)
      .sort();

  // --- 8 hours after T: the old unknown faces' crops go, nothing else
  const r1 = await run(T + 8 * HOUR);
  assert.deepEqual(r1.removed, { unknownFaceMessages: 2, unknownCrops: 2, cropObjects: 1 });
  assert.equal(r1.objectsRemoved, 1);
  assert.equal(r1.orphansRemoved, 0, "the orphan photo is still inside its grace period");
  let s = await streamEnvelopes(bus, "SIGHTINGS");
  assert.deepEqual(tracksOf(s, "UnknownFaceSeen"), ["b2", "b3"]);
  assert.deepEqual(tracksOf(s, "FaceRecognized"), ["a1", "b1"]);
  assert.deepEqual(tracksOf(s, "TrackConcluded"), ["a1", "b1"]);
  assert.deepEqual(await objectNames(crops), ["gate/b3.jpg"]);
  const rows = await sightings.list();
  assert.equal(rows.length, 6, "the sighting records stay; only their crops went");
  for (const r of rows) {
    if (r.kind === "unknown" && r.trackId.startsWith("a")) assert.equal(r.cropId, null, `${r.trackId} lost its crop`);
    else assert.notEqual(r.cropId, null, `${r.trackId} keeps its crop`);
  }
  // the event says the same
  const completed = (await streamEnvelopes(bus, "SYSTEM")).filter((e) => e.type === "RetentionRunCompleted");
  assert.equal(completed.length, 1);
  assert.deepEqual(completed[0]?.type === "RetentionRunCompleted" && completed[0].data.removed, r1.removed);

  // running again at the same time removes nothing more
  const again = await run(T + 8 * HOUR);
  assert.deepEqual(again.removed, {});

  // --- 30 days after T: generation A's sightings go whole; B's unknown crops (older than 8 h by then) go;
  // stale presence goes; the orphan photo (past its grace) goes, Ann's stays; alerts and attendance stay
  const r2 = await run(T + 30 * DAY);
  assert.deepEqual(r2.removed, {
    unknownFaceMessages: 2,
    unknownCrops: 2,
    cropObjects: 1,
    sightingMessages: 2,
    sightings: 3,
    // generation A's one concluded track, shown beside its sightings
    sightingTracks: 1,
    // generation A's two unknown tracks (the Unknowns page's cards), their shots gone
    unknownTracks: 2,
    presence: 4,
    orphans: 1,
  });
  s = await streamEnvelopes(bus, "SIGHTINGS");
  assert.deepEqual(s.map((e) => `${e.type}:${(e.data as { trackId: string }).trackId}`).sort(), [
    "FaceRecognized:b1",
    "TrackConcluded:b1",
  ]);
  assert.deepEqual(await objectNames(crops), []);
  assert.deepEqual(await objectNames(photos), ["ann/aaaa.jpg"]);
  assert.deepEqual((await sightings.list()).map((r) => r.trackId).sort(), ["b1", "b2", "b3"]);
  assert.equal((await presence.inView()).length, 0);
  assert.equal(await alerts.count(), 2);
  assert.equal((await attendance.listByPerson("ann")).length, 1, "attendance is kept by default");

  // --- 90 days after T: generation A's alert goes (record and message); B's sightings go; attendance stays
  const r3 = await run(T + 90 * DAY);
  assert.deepEqual(r3.removed, {
    sightingMessages: 2,
    sightings: 3,
    sightingTracks: 1,
    unknownTracks: 2,
    alertMessages: 1,
    alerts: 1,
  });
  assert.deepEqual(
    (await streamEnvelopes(bus, "ALERTS")).map((e) => (e.data as { trackId: string }).trackId),
    ["b2"],
  );
  assert.deepEqual((await alerts.list()).map((a) => a.trackId ?? a.id).length, 1);
  assert.equal((await attendance.listByPerson("ann")).length, 1);

  // --- attendance with a retention: days before the cutoff go (and their spans)
  const short = policyFromConfig(configSchema.parse({ RETENTION_ATTENDANCE_DAYS: "1", RETENTION_APPLIED_DAYS: "0" }));
  const r4 = await runRetention({ bus, collections, policy: short, now: () => T + 3 * DAY, log });
  assert.equal(r4.removed.attendance, 1);
  assert.equal(r4.removed.attendanceSpans, 1);
  assert.equal((await attendance.listByPerson("ann")).length, 0);

  // --- visitors: an open one not seen for 30 days goes (its best faces' embeddings with it); an ignored one (the alert
  // rules need it) and a recent one stay
  const vNow = T + 100 * DAY;
  const iso = (ms: number) => new Date(ms).toISOString();
  await collections.visitors.put({ id: "v-old", status: "open", lastSeen: iso(vNow - 31 * DAY), absorbedInto: null });
  await collections.visitors.put({ id: "v-ign", status: "ignored", lastSeen: iso(vNow - 90 * DAY), absorbedInto: null });
  await collections.visitors.put({ id: "v-new", status: "open", lastSeen: iso(vNow - 2 * DAY), absorbedInto: null });
  const r8 = await runRetention({ bus, collections, policy, now: () => vNow, log });
  assert.equal(r8.removed.visitors, 1);
  assert.deepEqual((await collections.visitors.find({})).map((v) => v.id).sort(), ["v-ign", "v-new"]);

  // --- the projections' applied-event records: pruned once older than RETENTION_APPLIED_DAYS (default 7)
  const applied = policyFromConfig(configSchema.parse({}));
  const r5 = await runRetention({ bus, collections, policy: applied, now: () => Date.now() + 6 * DAY, log });
  assert.equal(r5.removed.appliedRecords, undefined, "nothing is 7 days old yet");
  const r6 = await runRetention({ bus, collections, policy: applied, now: () => Date.now() + 8 * DAY, log });
  assert.ok((r6.removed.appliedRecords ?? 0) >= 6, `applied records pruned: ${JSON.stringify(r6.removed)}`);
  const r7 = await runRetention({ bus, collections, policy: applied, now: () => Date.now() + 8 * DAY, log });
  assert.equal(r7.removed.appliedRecords, undefined, "pruned once");

  // --- persona retention run: the same run from the command line, with the settings of the environment
  const cliEnv = { ...process.env, NATS_URL: server.url, STORE_URL: `sqlite:${join(dir, "persona.db")}` };
  const o = capture();
  assert.equal(
    await retentionCommand({ sub: "run", json: true, env: { ...cliEnv, RETENTION_UNKNOWN_CROPS_HOURS: "8" } }, o),
    0,
    o.err,
  );
  const report = JSON.parse(o.out) as { removed: Record<string, number>; objectsRemoved: number };
  assert.deepEqual(report.removed, {}, "nothing had expired by the real clock");
  await assert.rejects(
    retentionCommand({ sub: "run", json: true, env: { ...cliEnv, RETENTION_SIGHTINGS_DAYS: "soon" } }, capture()),
    /RETENTION_SIGHTINGS_DAYS/,
  );
});
