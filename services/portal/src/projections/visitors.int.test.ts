import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { type DataOf, type EnvelopeOf, type MessageType, makeEnvelope } from "@persona/contracts";
import { parseCropLocator } from "./sightings.ts";
import { projectionBench } from "./testSupport.ts";
import { currentVisitor, visitorsProjection } from "./visitors.ts";

// The visitors projection against a real SQLite store (in memory), event by event, each case applied twice.

const at = (hms: string) => `2026-03-02T${hms}.000Z`;
const ev = <T extends MessageType>(type: T, data: DataOf<T>, occurredAt = at("09:00:00")) =>
  makeEnvelope(type, data as never, { source: "test", occurredAt });

const CROP_B64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]).toString("base64");
const embedding = (x: number) => ({
  model: "dlib-resnet29",
  dims: 2,
  base64: Buffer.from(Float32Array.of(x, 1).buffer).toString("base64"),
});

function crop(i: number, stored = false) {
  return {
    detectionId: randomUUID(),
    cameraId: i % 2 === 0 ? "gate" : "hall",
    trackId: `t${i}`,
    quality: 0.9 - i / 10,
    seenAt: at(`09:0${i}:00`),
    crop: stored
      ? {
          kind: "stored" as const,
          ref: { bucket: "crops", key: `gate/t${i}.jpg`, contentType: "image/jpeg", size: 9, sha256: "c".repeat(64) },
        }
      : { kind: "inline" as const, contentType: "image/jpeg" as const, base64: CROP_B64 },
    embedding: embedding(i),
  };
}

function summary(visitorId: string, o: { faces?: number; lastSeen?: string; absorbed?: string[]; crops?: number } = {}) {
  return {
    visitorId,
    faces: o.faces ?? 4,
    visits: 2,
    firstSeen: at("09:00:00"),
    lastSeen: o.lastSeen ?? at("09:05:00"),
    cameras: ["gate", "hall"],
    bestCrops: Array.from({ length: o.crops ?? 2 }, (_, i) => crop(i, i === 1)),
    absorbed: o.absorbed ?? [],
  };
}

const clustered = (id: string, o?: Parameters<typeof summary>[1], when?: string) => ev("VisitorClustered", summary(id, o), when);
const updated = (id: string, o?: Parameters<typeof summary>[1], when?: string) => ev("VisitorUpdated", summary(id, o), when);
const ignored = (visitorId: string, by = "olga", reason = "the postman", when = at("10:00:00")) =>
  ev("VisitorIgnored", { visitorId, by, reason }, when);
const named = (visitorId: string, personId: string, name: string, existing = false, when = at("10:00:00")) =>
  ev("VisitorNamed", { visitorId, personId, existing, name, by: "olga" }, when);

const bench = projectionBench();
const given = (events: EnvelopeOf<MessageType>[]) => bench.given(visitorsProjection, events);
/** Applied once; a redelivery is skipped; the handler's writes computed and applied again change nothing. */
const whenAppliedTwice = (e: EnvelopeOf<MessageType>) => bench.whenAppliedTwice(visitorsProjection, e);

const listed = async () =>
  (await bench.models.visitors.find({ absorbedInto: null }, { sort: { lastSeen: -1 } })).map((v) => v.id);

describe("visitors projection (SIGHTINGS)", () => {
  test("VisitorClustered: one open visitor with the summary, crops by locator (no bytes), embeddings kept", async () => {
    const e = clustered(randomUUID());
    const snap = await whenAppliedTwice(e);
    const v = await bench.models.visitors.get(e.data.visitorId);
    assert.deepEqual(
      [v?.faces, v?.visits, v?.firstSeen, v?.lastSeen, v?.cameras, v?.status, v?.decision, v?.absorbedInto],
      [4, 2, at("09:00:00"), at("09:05:00"), ["gate", "hall"], "open", null, null],
    );
    assert.deepEqual(
      v?.bestCrops.map((c) => parseCropLocator(c.cropId)),
      [
        { kind: "message", stream: "SIGHTINGS", seq: bench.seq },
        { kind: "object", bucket: "crops", key: "gate/t1.jpg" },
      ],
    );
    assert.deepEqual(v?.bestCrops[0]?.embedding, embedding(0));
    assert.equal(v?.bestCrops[1]?.detectionId, e.data.bestCrops[1]?.detectionId);
    assert.equal(v?.summarySeq, bench.seq);
    assert.doesNotMatch(JSON.stringify(snap), new RegExp(CROP_B64.replace(/[+/=]/g, "\\$&")), "no crop bytes stored");
  });

  test("VisitorUpdated: the newest summary replaces the old one; first clustered time kept", async () => {
    const id = randomUUID();
    await given([clustered(id, {}, at("09:05:00"))]);
    await whenAppliedTwice(updated(id, { faces: 9, lastSeen: at("11:00:00"), crops: 3 }, at("11:00:01")));
    const v = await bench.models.visitors.get(id);
    assert.deepEqual(
      [v?.faces, v?.lastSeen, v?.bestCrops.length, v?.clusteredAt, v?.updatedAt, v?.summarySeq],
      [9, at("11:00:00"), 3, at("09:05:00"), at("11:00:01"), bench.seq],
    );
  });

  test("VisitorIgnored: given an open visitor, it is ignored, by whom, when and why", async () => {
    const id = randomUUID();
    await given([clustered(id)]);
    await whenAppliedTwice(ignored(id));
    const v = await bench.models.visitors.get(id);
    assert.equal(v?.status, "ignored");
    assert.deepEqual(v?.decision, {
      kind: "ignored",
      by: "olga",
      at: at("10:00:00"),
      reason: "the postman",
      personId: null,
      personName: null,
      existing: null,
      inheritedFrom: null,
    });
  });

  test("VisitorNamed: given an open visitor, it is named with the person's id and name; an update keeps the decision", async () => {
    const id = randomUUID();
    await given([clustered(id)]);
    await whenAppliedTwice(named(id, "p-anna", "Анна", true));
    let v = await bench.models.visitors.get(id);
    assert.deepEqual(
      [v?.status, v?.decision?.personId, v?.decision?.personName, v?.decision?.existing, v?.decision?.by],
      ["named", "p-anna", "Анна", true, "olga"],
    );
    await whenAppliedTwice(updated(id, { faces: 7 }));
    v = await bench.models.visitors.get(id);
    assert.deepEqual([v?.faces, v?.status, v?.decision?.personId], [7, "named", "p-anna"]);
  });

  test("a decision about a visitor not listed yet is kept and applies when its summary arrives", async () => {
    const id = randomUUID();
    const snap = await whenAppliedTwice(ignored(id));
    assert.deepEqual(snap.visitors, []);
    await whenAppliedTwice(clustered(id));
    assert.equal((await bench.models.visitors.get(id))?.status, "ignored");
  });

  test("a merge: the absorbed visitor points to the survivor, is not listed; its decision carries over to an open survivor", async () => {
    const a = randomUUID();
    const b = randomUUID();
    await given([clustered(a, { lastSeen: at("09:01:00") }), clustered(b, { lastSeen: at("09:02:00") }), ignored(a)]);
    assert.deepEqual(await listed(), [b, a]);
    await whenAppliedTwice(updated(b, { absorbed: [a], faces: 8, lastSeen: at("09:10:00") }));
    assert.deepEqual(await listed(), [b], "the absorbed visitor is gone from the list");
    assert.equal((await bench.models.visitors.get(a))?.absorbedInto, b);
    const survivor = await bench.models.visitors.get(b);
    assert.deepEqual(
      [
        survivor?.status,
        survivor?.decision?.by,
        survivor?.decision?.reason,
        survivor?.decision?.inheritedFrom,
        survivor?.absorbed,
      ],
      ["ignored", "olga", "the postman", a, [a]],
    );
    assert.equal((await currentVisitor(bench.models, a))?.id, b, "the absorbed id leads to the survivor");
  });

  test("a merge: a survivor with its own decision keeps it", async () => {
    const a = randomUUID();
    const b = randomUUID();
    await given([clustered(a), clustered(b), ignored(a), named(b, "p-boris", "Борис")]);
    await whenAppliedTwice(updated(b, { absorbed: [a] }));
    const v = await bench.models.visitors.get(b);
    assert.deepEqual([v?.status, v?.decision?.personId, v?.decision?.inheritedFrom], ["named", "p-boris", null]);
  });

  test("merges chain: visitors absorbed by an absorbed visitor point to the last survivor", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await given([clustered(a), clustered(b), clustered(c), named(a, "p-1", "One"), updated(b, { absorbed: [a] })]);
    assert.equal((await bench.models.visitors.get(b))?.decision?.inheritedFrom, a);
    await whenAppliedTwice(updated(c, { absorbed: [b, a] }));
    assert.deepEqual(
      [(await bench.models.visitors.get(a))?.absorbedInto, (await bench.models.visitors.get(b))?.absorbedInto],
      [c, c],
    );
    const v = await bench.models.visitors.get(c);
    assert.deepEqual(
      [v?.status, v?.decision?.personId, v?.decision?.inheritedFrom],
      ["named", "p-1", a],
      "the original visitor stays named as the source",
    );
    assert.deepEqual(await listed(), [c]);
  });

  test("a decision about a visitor already absorbed applies to the survivor (as the trainer applies it)", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await given([clustered(a), clustered(b), clustered(c), updated(b, { absorbed: [a] }), updated(c, { absorbed: [b, a] })]);
    await whenAppliedTwice(ignored(a, "bot-user", "courier"));
    const survivor = await bench.models.visitors.get(c);
    assert.deepEqual(
      [survivor?.status, survivor?.decision?.by, survivor?.decision?.reason, survivor?.decision?.inheritedFrom],
      ["ignored", "bot-user", "courier", a],
    );
    assert.equal((await bench.models.visitors.get(a))?.status, "ignored", "recorded about the absorbed visitor too");
    assert.equal((await bench.models.visitors.get(b))?.status, "open", "the visitor in between is not concerned");
    // summaries list every visitor absorbed so far: the next one lists them again and changes nothing
    await whenAppliedTwice(updated(c, { absorbed: [b, a], faces: 9 }));
    assert.deepEqual([(await bench.models.visitors.get(c))?.status, (await bench.models.visitors.get(c))?.faces], ["ignored", 9]);
  });

  test("an absorbed visitor published again is listed again", async () => {
    const a = randomUUID();
    const b = randomUUID();
    await given([clustered(a), clustered(b), updated(b, { absorbed: [a] })]);
    await whenAppliedTwice(updated(a, { lastSeen: at("12:00:00") }));
    assert.equal((await bench.models.visitors.get(a))?.absorbedInto, null);
    assert.deepEqual(await listed(), [a, b]);
  });
});
