import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { type BlobRef, type DataOf, type MessageType, makeEnvelope } from "@persona/contracts";
import { attendanceProjection, dayOf, mergeSpan, splitByDay } from "./attendance.ts";
import { peopleProjection } from "./people.ts";
import { CONCLUDED_TRACK_TTL_MS, presenceProjection } from "./presence.ts";
import { applyProjection } from "./projection.ts";
import { parseCropLocator, sightingsProjection } from "./sightings.ts";
import { projectionBench } from "./testSupport.ts";

// ------------------------------------------------------------------------------------------ events

const src = { source: "test" };
const quality = { score: 0.8, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
const inlineCrop = {
  kind: "inline" as const,
  contentType: "image/jpeg" as const,
  base64: Buffer.from([0xff, 0xd8, 0xff]).toString("base64"),
};
const photo = (personId: string, c = "a"): BlobRef => ({
  bucket: "photos",
  key: `${personId}/${c.repeat(64)}.jpg`,
  contentType: "image/jpeg",
  size: 1000,
  sha256: c.repeat(64),
});
const at = (hms: string, day = "2026-03-02") => `${day}T${hms}.000Z`;

const ev = <T extends MessageType>(type: T, data: DataOf<T>, occurredAt = at("09:00:00")) =>
  makeEnvelope(type, data as never, { ...src, occurredAt });

const enrolled = (personId: string, name: string, occurredAt?: string) =>
  ev(
    "PersonEnrolled",
    { personId, name, description: "Декан", photos: [photo(personId)], sound: null, source: "import", importKey: personId },
    occurredAt,
  );
const templateAdded = (personId: string, templateId = randomUUID()) =>
  ev("FaceTemplateAdded", {
    personId,
    templateId,
    embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
    quality,
    crop: null,
    origin: { kind: "enrollment", photo: photo(personId) },
  });
const recognized = (
  cameraId: string,
  trackId: string,
  personId: string,
  frameAt: string,
  decision: "confirmed" | "probable" = "confirmed",
) =>
  ev("FaceRecognized", {
    cameraId,
    trackId,
    detectionId: randomUUID(),
    personId,
    personName: "X",
    similarity: 0.91,
    margin: 0.2,
    decision,
    votes: { agreeing: 3, total: 3 },
    quality,
    frameAt,
    crop: inlineCrop,
    via: "embedding",
  });
const unknown = (cameraId: string, trackId: string, frameAt: string) =>
  ev("UnknownFaceSeen", {
    cameraId,
    trackId,
    detectionId: randomUUID(),
    bestSimilarity: 0.41,
    bestPersonId: null,
    quality,
    frameAt,
    crop: {
      kind: "stored",
      ref: { bucket: "crops", key: `${cameraId}/${trackId}.jpg`, contentType: "image/jpeg", size: 9, sha256: "c".repeat(64) },
    },
    embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
  });
type Outcome = DataOf<"TrackConcluded">["outcome"];
const concluded = (cameraId: string, trackId: string, startedAt: string, endedAt: string, outcome: Outcome) =>
  ev("TrackConcluded", { cameraId, trackId, startedAt, endedAt, frames: 50, shots: 3, bestQuality: 0.8, outcome });
const asPerson = (personId: string): Outcome => ({ kind: "recognized", personId, personName: "X", similarity: 0.9 });

// ------------------------------------------------------------------------------------------ harness

const bench = projectionBench();
const { given, snapshot, whenAppliedTwice } = bench;
const UTC = "UTC";

// ------------------------------------------------------------------------------------------ people

describe("people projection (LIBRARY)", () => {
  test("PersonEnrolled: given nothing, when enrolled, then the person is listed with photos, no templates, not removed", async () => {
    await whenAppliedTwice(peopleProjection, enrolled("p1", "Анна Каренина"));
    const p = await bench.models.people.get("p1");
    assert.equal(p?.name, "Анна Каренина");
    assert.equal(p?.nameKey, "анна каренина");
    assert.deepEqual(p?.photoIds, [photo("p1").key]);
    assert.deepEqual([p?.templates, p?.watchlist, p?.removedAt], [0, null, null]);
  });

  test("FaceTemplateAdded: given an enrolled person, when a template is added, then the count is 1 and the template listed", async () => {
    await given(peopleProjection, [enrolled("p1", "A")]);
    const t = templateAdded("p1");
    await whenAppliedTwice(peopleProjection, t);
    assert.equal((await bench.models.people.get("p1"))?.templates, 1);
    const tpl = await bench.models.personTemplates.get(t.data.templateId);
    assert.deepEqual([tpl?.personId, tpl?.origin, tpl?.photoKey], ["p1", "enrollment", photo("p1").key]);
  });

  test("FaceTemplateAdded: given nobody, a template of an unknown person changes nothing", async () => {
    const snap = await whenAppliedTwice(peopleProjection, templateAdded("ghost"));
    assert.deepEqual(snap, { people: [], person_templates: [] });
  });

  test("PersonUpdated: given a person, when name, description, sound and watchlist change, then only those change", async () => {
    await given(peopleProjection, [enrolled("p1", "A"), templateAdded("p1")]);
    const sound = { ...photo("p1", "d"), bucket: "sounds", contentType: "audio/mpeg", key: "p1/x.mp3" };
    await whenAppliedTwice(
      peopleProjection,
      ev(
        "PersonUpdated",
        { personId: "p1", name: "Борис", description: "Ректор", sound, watchlist: { reason: "trespass" }, by: "cli" },
        at("10:00:00"),
      ),
    );
    const p = await bench.models.people.get("p1");
    assert.deepEqual(
      [p?.name, p?.description, p?.soundId, p?.watchlist, p?.templates, p?.updatedAt],
      ["Борис", "Ректор", "p1/x.mp3", { reason: "trespass" }, 1, at("10:00:00")],
    );
  });

  test("PersonUpdated: given nobody, an update of an unknown person changes nothing", async () => {
    assert.deepEqual(await whenAppliedTwice(peopleProjection, ev("PersonUpdated", { personId: "ghost", name: "X", by: "cli" })), {
      people: [],
      person_templates: [],
    });
  });

  test("PersonRemoved: given a person with templates, when removed, then kept for history, marked removed, no templates", async () => {
    await given(peopleProjection, [enrolled("p1", "A"), templateAdded("p1"), templateAdded("p1")]);
    await whenAppliedTwice(peopleProjection, ev("PersonRemoved", { personId: "p1", reason: "left", by: "cli" }, at("11:00:00")));
    const p = await bench.models.people.get("p1");
    assert.deepEqual([p?.removedAt, p?.templates], [at("11:00:00"), 0]);
    assert.equal(await bench.models.personTemplates.count({ personId: "p1" }), 0);
    assert.deepEqual(await bench.models.people.list(), []);
    assert.equal((await bench.models.people.list({ includeRemoved: true })).length, 1);
  });

  test("PersonEnrolled: given a removed person, when enrolled again under the same id, then they are back, fresh", async () => {
    await given(peopleProjection, [
      enrolled("p1", "A", at("08:00:00")),
      templateAdded("p1"),
      ev("PersonRemoved", { personId: "p1", reason: "left", by: "cli" }),
    ]);
    await whenAppliedTwice(peopleProjection, enrolled("p1", "A2", at("12:00:00")));
    const p = await bench.models.people.get("p1");
    assert.deepEqual([p?.name, p?.removedAt, p?.templates, p?.createdAt], ["A2", null, 0, at("12:00:00")]);
  });

  test("FaceTemplateReverted: given two templates, when one is reverted, then one is left", async () => {
    const t = templateAdded("p1");
    await given(peopleProjection, [enrolled("p1", "A"), t, templateAdded("p1")]);
    await whenAppliedTwice(
      peopleProjection,
      ev("FaceTemplateReverted", { personId: "p1", templateId: t.data.templateId, by: "op", reason: "wrong" }),
    );
    assert.equal((await bench.models.people.get("p1"))?.templates, 1);
    assert.equal(await bench.models.personTemplates.get(t.data.templateId), undefined);
  });

  test("EnrollmentRejected: changes nobody", async () => {
    await given(peopleProjection, [enrolled("p1", "A")]);
    const before = await snapshot(peopleProjection);
    const after = await whenAppliedTwice(
      peopleProjection,
      ev("EnrollmentRejected", { requestId: randomUUID(), personId: "p1", name: "A", reason: "no-face", message: "no face" }),
    );
    assert.deepEqual(after, before);
  });

  test("an event below the projection's checkpoint is skipped (why each durable delivers one event at a time)", async () => {
    await given(peopleProjection, [enrolled("p1", "A")]);
    const late = enrolled("p2", "B");
    assert.equal(
      await applyProjection(bench.store, peopleProjection, late, { seq: 1, models: bench.models, timeZone: UTC }),
      "skipped",
    );
    assert.equal(await bench.models.people.get("p2"), undefined);
  });
});

// ------------------------------------------------------------------------------------------ sightings

describe("sightings projection (SIGHTINGS)", () => {
  test("FaceRecognized: one record per detection, the inline crop referenced by its stream message, not copied", async () => {
    const e = recognized("gate", "t1", "p1", at("09:00:01"));
    const snap = await whenAppliedTwice(sightingsProjection, e);
    const s = await bench.models.sightings.get(e.data.detectionId);
    assert.deepEqual(
      [s?.kind, s?.personId, s?.cameraId, s?.trackId, s?.similarity, s?.at],
      ["recognized", "p1", "gate", "t1", 0.91, at("09:00:01")],
    );
    assert.deepEqual(parseCropLocator(s?.cropId ?? ""), { kind: "message", stream: "SIGHTINGS", seq: bench.seq });
    assert.doesNotMatch(
      JSON.stringify(snap),
      new RegExp(inlineCrop.base64.replace(/[+/=]/g, "\\$&")),
      "no crop bytes in the database",
    );
  });

  test("UnknownFaceSeen: an unknown sighting with the stored crop's object key", async () => {
    const e = unknown("gate", "t2", at("09:00:02"));
    await whenAppliedTwice(sightingsProjection, e);
    const s = await bench.models.sightings.get(e.data.detectionId);
    assert.deepEqual([s?.kind, s?.personId, s?.similarity], ["unknown", null, 0.41]);
    assert.deepEqual(parseCropLocator(s?.cropId ?? ""), { kind: "object", bucket: "crops", key: "gate/t2.jpg" });
  });
});

// ------------------------------------------------------------------------------------------ presence

describe("presence projection (SIGHTINGS)", () => {
  test("FaceRecognized: given nothing, when a track is recognized, then the person is in view on that camera", async () => {
    await whenAppliedTwice(presenceProjection, recognized("gate", "t1", "p1", at("09:00:01")));
    const p = await bench.models.presence.get("gate", "t1");
    assert.deepEqual([p?.personId, p?.enteredAt, p?.lastSeenAt], ["p1", at("09:00:01"), at("09:00:01")]);
  });

  test("UnknownFaceSeen: given nothing, an unknown track is in view without a name", async () => {
    await whenAppliedTwice(presenceProjection, unknown("gate", "t9", at("09:00:01")));
    assert.equal((await bench.models.presence.get("gate", "t9"))?.personId, null);
  });

  test("FaceRecognized: given an unknown track, when recognized, then named; entered at the first sight", async () => {
    await given(presenceProjection, [unknown("gate", "t1", at("09:00:01"))]);
    await whenAppliedTwice(presenceProjection, recognized("gate", "t1", "p1", at("09:00:03")));
    const p = await bench.models.presence.get("gate", "t1");
    assert.deepEqual([p?.personId, p?.enteredAt, p?.lastSeenAt], ["p1", at("09:00:01"), at("09:00:03")]);
  });

  test("UnknownFaceSeen: given a named track, a later unknown shot keeps the name; a probable never replaces a confirmed", async () => {
    await given(presenceProjection, [recognized("gate", "t1", "p1", at("09:00:01"))]);
    await whenAppliedTwice(presenceProjection, unknown("gate", "t1", at("09:00:04")));
    await whenAppliedTwice(presenceProjection, recognized("gate", "t1", "p2", at("09:00:05"), "probable"));
    const p = await bench.models.presence.get("gate", "t1");
    assert.deepEqual([p?.personId, p?.lastSeenAt], ["p1", at("09:00:05")]);
  });

  test("TrackConcluded: given a track in view, when it concludes, then it leaves; a late recognition does not bring it back", async () => {
    await given(presenceProjection, [
      recognized("gate", "t1", "p1", at("09:00:01")),
      recognized("hall", "t7", "p2", at("09:00:01")),
    ]);
    await whenAppliedTwice(presenceProjection, concluded("gate", "t1", at("09:00:01"), at("09:00:09"), asPerson("p1")));
    assert.equal(await bench.models.presence.get("gate", "t1"), undefined);
    assert.equal((await bench.models.presence.inView()).length, 1, "other tracks stay");
    await whenAppliedTwice(presenceProjection, recognized("gate", "t1", "p1", at("09:00:08")));
    assert.equal(await bench.models.presence.get("gate", "t1"), undefined);
  });

  test("TrackConcluded: concluded tracks are forgotten after an hour of event time", async () => {
    await given(presenceProjection, [
      concluded("gate", "old", at("08:00:00"), at("08:00:05"), { kind: "undecided", reason: "x" }),
    ]);
    const later = new Date(Date.parse(at("08:00:05")) + CONCLUDED_TRACK_TTL_MS + 1000).toISOString();
    await whenAppliedTwice(
      presenceProjection,
      concluded("gate", "new", at("09:00:00"), later, { kind: "unknown", bestSimilarity: 0.3 }),
    );
    assert.deepEqual(
      (await bench.models.concludedTracks.find({})).map((d) => d.trackId),
      ["new"],
    );
  });
});

// ------------------------------------------------------------------------------------------ attendance

describe("attendance projection (SIGHTINGS)", () => {
  test("TrackConcluded (recognized): given nothing, then the day has first and last seen, seconds in view, the camera", async () => {
    await whenAppliedTwice(attendanceProjection, concluded("gate", "t1", at("09:00:00"), at("09:00:30"), asPerson("p1")));
    const a = await bench.models.attendance.get("p1", "2026-03-02");
    assert.deepEqual([a?.firstSeen, a?.lastSeen, a?.secondsInView, a?.cameras], [at("09:00:00"), at("09:00:30"), 30, ["gate"]]);
  });

  test("TrackConcluded (recognized): given a track, an overlapping one on another camera counts once (union), cameras both", async () => {
    await given(attendanceProjection, [concluded("gate", "t1", at("09:00:00"), at("09:00:30"), asPerson("p1"))]);
    await whenAppliedTwice(attendanceProjection, concluded("hall", "t2", at("09:00:20"), at("09:01:00"), asPerson("p1")));
    const a = await bench.models.attendance.get("p1", "2026-03-02");
    assert.deepEqual(
      [a?.firstSeen, a?.lastSeen, a?.secondsInView, a?.cameras],
      [at("09:00:00"), at("09:01:00"), 60, ["gate", "hall"]],
    );
  });

  test("TrackConcluded (unknown or undecided): no attendance", async () => {
    await whenAppliedTwice(
      attendanceProjection,
      concluded("gate", "t1", at("09:00:00"), at("09:00:30"), { kind: "unknown", bestSimilarity: 0.2 }),
    );
    await whenAppliedTwice(
      attendanceProjection,
      concluded("gate", "t2", at("09:00:00"), at("09:00:30"), { kind: "undecided", reason: "tie" }),
    );
    assert.equal(await (await bench.store.collection({ name: "attendance" })).count(), 0);
  });

  test("TrackConcluded over local midnight counts on both days of the configured time zone", async () => {
    // 20:50 to 21:10 UTC is 23:50 to 00:10 in Moscow (UTC+3)
    await whenAppliedTwice(
      attendanceProjection,
      concluded("gate", "t1", at("20:50:00"), at("21:10:00"), asPerson("p1")),
      "Europe/Moscow",
    );
    const first = await bench.models.attendance.get("p1", "2026-03-02");
    const second = await bench.models.attendance.get("p1", "2026-03-03");
    assert.deepEqual([first?.secondsInView, first?.lastSeen], [600, at("21:00:00")]);
    assert.deepEqual([second?.secondsInView, second?.firstSeen], [600, at("21:00:00")]);
  });

  test("the result does not depend on the order tracks arrive in", async () => {
    const tracks = [
      concluded("gate", "a", at("09:00:00"), at("09:00:10"), asPerson("p1")),
      concluded("hall", "b", at("12:00:00"), at("12:05:00"), asPerson("p1")),
      concluded("lab", "c", at("09:00:05"), at("09:00:20"), asPerson("p1")),
    ];
    await given(attendanceProjection, tracks);
    const forward = await bench.models.attendance.get("p1", "2026-03-02");
    await bench.store.resetProjection("attendance");
    for (const c of attendanceProjection.collections) await (await bench.store.collection({ name: c })).deleteMany({});
    bench.seq = 0;
    await given(attendanceProjection, [...tracks].reverse());
    assert.deepEqual(await bench.models.attendance.get("p1", "2026-03-02"), forward);
    assert.equal(forward?.secondsInView, 20 + 300);
  });
});

describe("attendance helpers", () => {
  test("days in a time zone; splitting at midnight; merging spans", () => {
    assert.equal(dayOf(Date.parse("2026-03-02T22:00:00Z"), "UTC"), "2026-03-02");
    assert.equal(dayOf(Date.parse("2026-03-02T22:00:00Z"), "Asia/Tokyo"), "2026-03-03");
    assert.deepEqual(
      splitByDay(Date.parse("2026-03-02T23:59:00Z"), Date.parse("2026-03-03T00:01:00Z"), "UTC").map((p) => p.day),
      ["2026-03-02", "2026-03-03"],
    );
    assert.deepEqual(
      mergeSpan(
        [
          [0, 10],
          [20, 30],
        ],
        5,
        25,
      ),
      [[0, 30]],
    );
    assert.deepEqual(mergeSpan([[0, 10]], 10, 12), [[0, 12]]);
    assert.deepEqual(mergeSpan([[20, 30]], 0, 5), [
      [0, 5],
      [20, 30],
    ]);
  });
});
