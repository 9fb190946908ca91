import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEnvelope } from "@persona/contracts";
import {
  applyVisitorEvent,
  emptyVisitors,
  openVisitors,
  personIdForVisitor,
  survivorOf,
  type VisitorEvent,
  type VisitorSummaryData,
} from "./visitors.ts";

const src = { source: "test" };
const A = "0a000000-0000-4000-8000-000000000001";
const B = "0b000000-0000-4000-8000-000000000002";
const C = "0c000000-0000-4000-8000-000000000003";

const crop = (detectionId: string, quality: number) => ({
  detectionId,
  cameraId: "gate",
  trackId: "t1",
  quality,
  seenAt: "2026-03-02T10:00:00.000Z",
  crop: { kind: "inline" as const, contentType: "image/jpeg" as const, base64: "/9j/" },
});

const summary = (visitorId: string, over: Partial<VisitorSummaryData> = {}): VisitorSummaryData => ({
  visitorId,
  faces: 4,
  visits: 2,
  firstSeen: "2026-03-02T09:00:00.000Z",
  lastSeen: "2026-03-02T10:00:00.000Z",
  cameras: ["gate"],
  bestCrops: [crop(crypto.randomUUID(), 0.9)],
  absorbed: [],
  ...over,
});
const clustered = (visitorId: string, over: Partial<VisitorSummaryData> = {}) =>
  makeEnvelope("VisitorClustered", summary(visitorId, over), src);
const updated = (visitorId: string, over: Partial<VisitorSummaryData> = {}) =>
  makeEnvelope("VisitorUpdated", summary(visitorId, over), src);
const named = (visitorId: string, name = "Ann", existing = false) =>
  makeEnvelope(
    "VisitorNamed",
    { visitorId, personId: personIdForVisitor(visitorId), existing, name, by: "telegram:1" },
    { ...src, occurredAt: "2026-03-02T11:00:00.000Z" },
  );
const ignored = (visitorId: string, reason = "the postman") =>
  makeEnvelope("VisitorIgnored", { visitorId, by: "portal:bob", reason }, src);

const fold = (...events: VisitorEvent[]) => {
  const s = emptyVisitors();
  for (const e of events) applyVisitorEvent(s, e);
  return s;
};

test("a clustered visitor is open with its summary; an update replaces the summary and keeps when it was clustered", () => {
  const first = clustered(A, { faces: 3 });
  const s = fold(first);
  assert.equal(s.visitors.get(A)?.status, "open");
  assert.equal(s.visitors.get(A)?.faces, 3);
  const bestCrops = [crop(crypto.randomUUID(), 0.95), crop(crypto.randomUUID(), 0.8)];
  const change = applyVisitorEvent(s, updated(A, { faces: 9, visits: 4, cameras: ["door", "gate"], bestCrops }));
  assert.deepEqual(change, { kind: "visitor-upserted", visitorId: A, removed: [] });
  const v = s.visitors.get(A);
  assert.equal(v?.faces, 9);
  assert.equal(v?.visits, 4);
  assert.deepEqual(v?.cameras, ["door", "gate"]);
  assert.deepEqual(v?.bestCrops, bestCrops);
  assert.equal(v?.clusteredAt, first.occurredAt);
});

test("naming and ignoring set the status and the decision; open visitors leave out decided ones, most recent first", () => {
  const s = fold(
    clustered(A, { lastSeen: "2026-03-02T10:00:00.000Z" }),
    clustered(B, { lastSeen: "2026-03-02T12:00:00.000Z" }),
    clustered(C, { lastSeen: "2026-03-02T11:00:00.000Z" }),
  );
  assert.deepEqual(
    openVisitors(s).map((v) => v.visitorId),
    [B, C, A],
  );
  applyVisitorEvent(s, named(A, "Ann"));
  applyVisitorEvent(s, ignored(B));
  assert.deepEqual(
    openVisitors(s).map((v) => v.visitorId),
    [C],
  );
  const a = s.visitors.get(A);
  assert.equal(a?.status, "named");
  assert.deepEqual(a?.decision, {
    kind: "named",
    personId: personIdForVisitor(A),
    existing: false,
    name: "Ann",
    by: "telegram:1",
    at: "2026-03-02T11:00:00.000Z",
    inheritedFrom: null,
  });
  assert.equal(s.visitors.get(B)?.status, "ignored");
  const b = s.visitors.get(B)?.decision;
  assert.equal(b?.kind === "ignored" ? b.reason : null, "the postman");
  // a later update of a named visitor keeps it named
  applyVisitorEvent(s, updated(A, { faces: 12 }));
  assert.equal(s.visitors.get(A)?.status, "named");
  assert.equal(s.visitors.get(A)?.faces, 12);
});

test("a merge: the absorbed visitor disappears and its decision carries over to a survivor that has none", () => {
  const s = fold(clustered(A), clustered(B), ignored(B, "staff"));
  const change = applyVisitorEvent(s, updated(A, { absorbed: [B] }));
  assert.deepEqual(change, { kind: "visitor-upserted", visitorId: A, removed: [B] });
  assert.equal(s.visitors.has(B), false);
  assert.equal(s.absorbedInto.get(B), A);
  assert.equal(survivorOf(s, B)?.visitorId, A);
  assert.equal(survivorOf(s, A), null);
  const a = s.visitors.get(A);
  assert.equal(a?.status, "ignored");
  assert.equal(a?.decision?.inheritedFrom, B);
  assert.deepEqual(a?.absorbed, [B]);
  assert.deepEqual(openVisitors(s), []);
});

test("a merge into a survivor with its own decision keeps the survivor's decision", () => {
  const s = fold(clustered(A), clustered(B), named(A, "Ann"), ignored(B));
  applyVisitorEvent(s, updated(A, { absorbed: [B] }));
  assert.equal(s.visitors.get(A)?.status, "named");
  assert.equal(s.visitors.get(A)?.decision?.inheritedFrom, null);
});

test("a merge of open visitors leaves the survivor open; merges follow through chains", () => {
  const s = fold(clustered(A), clustered(B), clustered(C));
  applyVisitorEvent(s, updated(B, { absorbed: [C] }));
  applyVisitorEvent(s, updated(A, { absorbed: [B, C] }));
  assert.deepEqual([...s.visitors.keys()], [A]);
  assert.equal(s.visitors.get(A)?.status, "open");
  assert.equal(survivorOf(s, C)?.visitorId, A);
  assert.equal(survivorOf(s, B)?.visitorId, A);
});

test("a decision about an absorbed visitor seen after the merge does not change the survivor", () => {
  const s = fold(clustered(A), clustered(B), updated(A, { absorbed: [B] }), ignored(B));
  assert.equal(s.visitors.get(A)?.status, "open");
  // the same merge listed again in a later update does not carry it over either
  applyVisitorEvent(s, updated(A, { absorbed: [B], faces: 10 }));
  assert.equal(s.visitors.get(A)?.status, "open");
  assert.equal(s.decisions.get(B)?.kind, "ignored");
});

test("a visitor published again after it was absorbed is listed again", () => {
  const s = fold(clustered(A), clustered(B), updated(A, { absorbed: [B] }), updated(B));
  assert.ok(s.visitors.has(B));
  assert.equal(survivorOf(s, B), null);
});

test("with stream sequences, a replayed event changes nothing", () => {
  const s = emptyVisitors();
  applyVisitorEvent(s, clustered(A), 5);
  assert.deepEqual(applyVisitorEvent(s, ignored(A), 5), { kind: "none" });
  assert.equal(s.visitors.get(A)?.status, "open");
  assert.equal(applyVisitorEvent(s, ignored(A), 6).kind, "visitor-decided");
  assert.equal(s.seq, 6);
  assert.equal(s.visitors.get(A)?.status, "ignored");
});

test("the person id for a named visitor is derived from the visitor id and is a valid person id", () => {
  assert.equal(personIdForVisitor(A), personIdForVisitor(A));
  assert.notEqual(personIdForVisitor(A), personIdForVisitor(B));
  assert.match(personIdForVisitor(A), /^p-[0-9a-f]{20}$/);
});
