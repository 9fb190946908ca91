import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, testBus } from "@persona/bus/testing";
import { createLogger } from "@persona/runtime";
import { type DocumentStore, openStore } from "@persona/store";
import { startNatsServer, waitFor, tempDir } from "@persona/testing";
import { type ReadModels, openReadModels } from "./readModels.ts";
import { rebuildProjections } from "./rebuild.ts";
import { PEOPLE_PROJECTION_CONSUMER, SIGHTINGS_PROJECTIONS_CONSUMER, startProjections } from "./runner.ts";

const quality = { score: 0.8, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
const crop = {
  kind: "inline" as const,
  contentType: "image/jpeg" as const,
  base64: Buffer.from([0xff, 0xd8, 0xff]).toString("base64"),
};
const log = createLogger("test", process.env.LOG_LEVEL ?? "silent");
const PEOPLE = 20;
const TRACKS = 60;
const VISITORS = [randomUUID(), randomUUID(), randomUUID()];

async function publishWorld(bus: Bus): Promise<void> {
  for (let i = 0; i < PEOPLE; i++) {
    const personId = `p${i}`;
    await bus.publish(bus.envelope("PersonEnrolled", personEnrolled(personId, i === 0 ? "Анна Каренина" : `Person ${i}`)));
    await bus.publish(
      bus.envelope("FaceTemplateAdded", {
        personId,
        templateId: randomUUID(),
        embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
        quality,
        crop: null,
        origin: { kind: "operator", by: "test" },
      }),
    );
  }
  // tracks on two cameras: two recognitions each, then the conclusion; the last 5 stay in view
  for (let t = 0; t < TRACKS; t++) {
    const cameraId = t % 2 === 0 ? "gate" : "hall";
    const personId = `p${t % PEOPLE}`;
    const start = Date.parse("2026-03-02T09:00:00Z") + t * 60_000;
    for (const shot of [0, 1]) {
      await bus.publish(
        bus.envelope("FaceRecognized", {
          cameraId,
          trackId: `t${t}`,
          detectionId: randomUUID(),
          personId,
          personName: "x",
          similarity: 0.9,
          margin: 0.2,
          decision: "confirmed",
          votes: { agreeing: 1, total: 1 },
          quality,
          frameAt: new Date(start + shot * 1000).toISOString(),
          crop,
          via: "embedding",
        }),
      );
    }
    if (t < TRACKS - 5) {
      await bus.publish(
        bus.envelope("TrackConcluded", {
          cameraId,
          trackId: `t${t}`,
          startedAt: new Date(start).toISOString(),
          endedAt: new Date(start + 10_000).toISOString(),
          frames: 30,
          shots: 2,
          bestQuality: 0.8,
          outcome: { kind: "recognized", personId, personName: "x", similarity: 0.9 },
        }),
      );
    }
  }
}

/** Three visitors as the trainer publishes them; the first ignored, the second absorbs the third. */
async function publishVisitors(bus: Bus): Promise<void> {
  const summary = (visitorId: string, absorbed: string[], lastSeen: string) => ({
    visitorId,
    faces: 3,
    visits: 2,
    firstSeen: "2026-03-02T09:00:00.000Z",
    lastSeen,
    cameras: ["gate"],
    bestCrops: [
      {
        detectionId: randomUUID(),
        cameraId: "gate",
        trackId: "t0",
        quality: 0.8,
        seenAt: lastSeen,
        crop,
        embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
      },
    ],
    absorbed,
  });
  const [a, b, c] = VISITORS as [string, string, string];
  await bus.publish(bus.envelope("VisitorClustered", summary(a, [], "2026-03-02T09:10:00.000Z")));
  await bus.publish(bus.envelope("VisitorClustered", summary(b, [], "2026-03-02T09:20:00.000Z")));
  await bus.publish(bus.envelope("VisitorClustered", summary(c, [], "2026-03-02T09:30:00.000Z")));
  await bus.publish(bus.envelope("VisitorIgnored", { visitorId: a, by: "olga", reason: "staff" }));
  await bus.publish(bus.envelope("VisitorUpdated", summary(b, [c], "2026-03-02T09:40:00.000Z")));
}

async function expectWorld(models: ReadModels): Promise<void> {
  assert.equal(await models.people.count(), PEOPLE);
  assert.equal((await models.people.get("p0"))?.name, "Анна Каренина");
  assert.ok((await models.people.list()).every((p) => p.templates === 1));
  assert.equal(await models.sightings.count(), TRACKS * 2, "one sighting per detection");
  assert.equal((await models.presence.inView()).length, 5, "the tracks not concluded are in view");
  const day = await models.attendance.listByDay("2026-03-02");
  assert.equal(day.length, PEOPLE);
  // every person had 3 tracks of 10 s (55 concluded tracks over 20 people: 15 people with 3, 5 with 2)
  const seconds = day.map((a) => a.secondsInView).sort((a, b) => a - b);
  assert.deepEqual(seconds, [...Array(5).fill(20), ...Array(15).fill(30)]);
  const [a, b, c] = VISITORS as [string, string, string];
  const listed = await models.visitors.find({ absorbedInto: null }, { sort: { lastSeen: -1 } });
  assert.deepEqual(
    listed.map((v) => [v.id, v.status, v.absorbed]),
    [
      [b, "open", [c]],
      [a, "ignored", []],
    ],
  );
  assert.equal((await models.visitors.get(c))?.absorbedInto, b);
}

async function settled(bus: Bus): Promise<boolean> {
  for (const c of [SIGHTINGS_PROJECTIONS_CONSUMER, PEOPLE_PROJECTION_CONSUMER]) {
    const info = await bus.jsm.consumers.info(c.stream, c.durable);
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}

test("two portal replicas share the projection durables: every event applied once, in order; a rebuild gives the same read models (visitors included)", async (t) => {
  await using server = await startNatsServer();
  const dir = tempDir(t, "persona-projections-");
  const url = `sqlite:${join(dir, "portal.db")}`;
  const publisher = await testBus(server.url, "recognizer");
  const replicas: { bus: Bus; store: DocumentStore }[] = [];
  for (const name of ["portal-a", "portal-b"])
    replicas.push({ bus: await testBus(server.url, name), store: await openStore({ url }) });
  t.after(async () => {
    for (const r of replicas) {
      await r.bus.close();
      await r.store.close();
    }
    await publisher.close();
  });

  const running = await Promise.all(replicas.map((r) => startProjections({ ...r, log, timeZone: "UTC" })));
  await publishWorld(publisher);
  const lastSightingSeq = (await publisher.jsm.streams.info("SIGHTINGS")).state.last_seq;
  await publishVisitors(publisher);
  await waitFor(() => settled(publisher), { timeoutMs: 60_000, message: "both durables drained" });
  const models = await openReadModels(replicas[0]!.store);
  await expectWorld(models);
  assert.equal(await replicas[0]!.store.checkpoint("presence"), lastSightingSeq, "presence saw the last sighting");
  assert.equal(
    await replicas[0]!.store.checkpoint("visitors"),
    (await publisher.jsm.streams.info("SIGHTINGS")).state.last_seq,
    "visitors saw the last visitor event",
  );

  // rebuild from another process's view (the CLI's), while replica b keeps running
  await running[0]!.stop();
  const rebuilder = { bus: await testBus(server.url, "cli"), store: await openStore({ url }) };
  t.after(async () => {
    await rebuilder.bus.close();
    await rebuilder.store.close();
  });
  const progress: number[] = [];
  const report = await rebuildProjections({
    ...rebuilder,
    log,
    timeZone: "UTC",
    settleMs: 300,
    onProgress: (p) => progress.push(p.ackedSeq),
  });
  await expectWorld(models);
  assert.deepEqual(
    report.projections.map((p) => [p.name, p.documents]),
    [
      ["sightings", { sightings: TRACKS * 2, sighting_tracks: TRACKS - 5, unknown_tracks: 0 }],
      ["presence", { presence: 5, presence_concluded: TRACKS - 5 }],
      ["attendance", { attendance: PEOPLE, attendance_spans: PEOPLE }],
      ["visitors", { visitors: 3, visitor_decisions: 1, visitor_tracks: 1 }],
      ["people", { people: PEOPLE, person_templates: PEOPLE }],
    ],
  );
  assert.equal(report.streams.find((s) => s.stream === "LIBRARY")?.messages, PEOPLE * 2);
  assert.ok(progress.length > 0);

  // the replica that kept running takes events again once its pull loop notices the new durable (two missed
  // heartbeats of the client's consume(): about 30 s)
  await publisher.publish(publisher.envelope("PersonRemoved", { personId: "p1", reason: "left", by: "test" }));
  await waitFor(async () => (await models.people.get("p1"))?.removedAt !== null, {
    timeoutMs: 90_000,
    intervalMs: 250,
    message: "p1 removed by replica b",
  });
  await running[1]!.stop();
});
