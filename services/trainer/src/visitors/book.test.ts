import assert from "node:assert/strict";
import { test } from "node:test";
import { type FaceMeta, VisitorBook, visitorIdOf } from "./book.ts";

const DIMS = 16;
const t0 = Date.parse("2026-11-28T09:00:00Z");

function vec(axis: number, sim: number, lean: number): string {
  const v = new Float32Array(DIMS);
  v[axis] = sim;
  v[lean] = Math.sqrt(1 - sim * sim);
  return Buffer.from(v.buffer).toString("base64");
}
const decode = (b64: string) => {
  const b = Buffer.from(b64, "base64");
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
};

let n = 0;
const face = (axis: number, sim: number, lean: number, track: string, over: Partial<FaceMeta> = {}): FaceMeta => ({
  detectionId: `d${++n}`,
  cameraId: "door",
  trackId: track,
  quality: 0.5,
  at: t0 + n * 1000,
  seq: n,
  embedding: vec(axis, sim, lean),
  ...over,
});

const options = { cluster: { minFaces: 3, maxDistance: 0.05, maxFaces: 1000 }, minVisits: 2, bestCrops: 2 };

test("visitor book: a cluster from one track is not a visitor; seen on a second track it is, with its summary", () => {
  const b = new VisitorBook(options, decode);
  const a = [face(0, 1, 1, "t1"), face(0, 0.999, 2, "t1", { quality: 0.9 }), face(0, 0.998, 3, "t1")];
  for (const f of a) b.add(f);
  assert.equal(b.visitors().length, 0, "three faces of one pass are not a recurring visitor");
  const changed = b.add(face(0, 0.997, 4, "t2", { cameraId: "hall", quality: 0.7 }));
  const id = visitorIdOf("d1");
  assert.deepEqual(changed, [id]);
  const s = b.summary(id);
  assert.ok(s);
  assert.equal(s.faces, 4);
  assert.equal(s.visits, 2);
  assert.deepEqual(s.cameras, ["door", "hall"]);
  assert.deepEqual(
    s.best.map((f) => f.quality),
    [0.9, 0.7],
  );
  assert.equal(s.firstSeen, a[0]?.at);
  assert.equal(b.publication(s), "clustered");
  b.markPublished(s);
  assert.equal(b.publication(s), null, "unchanged: not published again");
  b.add(face(0, 0.9985, 5, "t3"));
  const s2 = b.summary(id);
  assert.ok(s2);
  assert.equal(b.publication(s2), "updated");
});

test("visitor book: a snapshot restores the same visitors, publications and operator decisions", () => {
  const b = new VisitorBook(options, decode);
  for (let i = 0; i < 4; i++) b.add(face(0, 1 - i * 0.001, 1 + i, `t${i % 2}`));
  for (let i = 0; i < 4; i++) b.add(face(8, 1 - i * 0.001, 9 + i, `u${i % 2}`));
  const vs = b.visitors();
  assert.equal(vs.length, 2);
  b.markPublished(vs[0] as NonNullable<(typeof vs)[0]>);
  b.status.set(vs[1]?.visitorId as string, "ignored");
  b.seq = 42;
  const r = VisitorBook.restore(JSON.parse(JSON.stringify(b.snapshot())), options, decode);
  assert.deepEqual(
    r.visitors().map((v) => [v.visitorId, v.faces]),
    vs.map((v) => [v.visitorId, v.faces]),
  );
  assert.equal(r.publication(r.visitors()[0] as NonNullable<(typeof vs)[0]>), null);
  assert.equal(r.status.get(vs[1]?.visitorId as string), "ignored");
  assert.equal(r.seq, 42);
});

test("visitor book: options are checked", () => {
  assert.throws(() => new VisitorBook({ ...options, minVisits: 0 }, decode), /minVisits/);
  assert.throws(() => new VisitorBook({ ...options, bestCrops: 9 }, decode), /bestCrops/);
});

test("visitor book: a decision about a visitor that was merged away applies to the visitor that absorbed it", () => {
  const b = new VisitorBook(options, decode);
  b.absorbed.set("survivor", ["gone-1", "gone-2"]);
  assert.equal(b.survivorOf("gone-2"), "survivor");
  assert.equal(b.survivorOf("survivor"), "survivor");
  assert.equal(b.survivorOf("someone-else"), "someone-else");
});

test("visitor book retention: visitors and stray faces last seen before the cutoff are forgotten, ignored ones kept", () => {
  const b = new VisitorBook(options, decode);
  const old = [face(0, 1, 1, "o1"), face(0, 0.999, 2, "o1"), face(0, 0.998, 3, "o2")]; // visitor A, early
  const ign = [face(5, 1, 6, "i1"), face(5, 0.999, 7, "i1"), face(5, 0.998, 8, "i2")]; // visitor B, early, ignored
  const stray = face(10, 1, 11, "s1"); // noise, early
  for (const f of [...old, ...ign, stray]) b.add(f);
  const cutoff = t0 + (n + 1) * 1000;
  const recent = [face(12, 1, 13, "r1"), face(12, 0.999, 14, "r1"), face(12, 0.998, 15, "r2")]; // visitor C, late
  for (const f of recent) b.add(f);
  const [a, bb, c] = [old, ign, recent].map((fs) => visitorIdOf((fs[0] as FaceMeta).detectionId));
  const sa = b.summary(a as string);
  assert.ok(sa && b.summary(bb as string) && b.summary(c as string));
  b.markPublished(sa);
  b.status.set(bb as string, "ignored");

  const r = b.expire(cutoff);
  assert.deepEqual(r.visitors, [a]);
  assert.equal(r.faces, 4, "visitor A's three faces and the stray one");
  assert.equal(b.summary(a as string), null);
  assert.ok(b.summary(bb as string), "the ignored visitor stays recognisable");
  assert.ok(b.summary(c as string), "the recent visitor stays");
  assert.equal(b.published.has(a as string), false);
  assert.equal(b.faces.has(stray.detectionId), false);
  assert.equal(b.clusters.size, 6);
  // the snapshot no longer holds the forgotten embeddings, and a restored book agrees
  const snap = b.snapshot();
  assert.equal(snap.faces.length, 6);
  assert.ok(!snap.faces.some((f) => old.some((o) => o.detectionId === f.detectionId)));
  const again = VisitorBook.restore(snap, options, decode);
  assert.deepEqual(
    again
      .visitors()
      .map((v) => v.visitorId)
      .sort(),
    [bb, c].sort(),
  );
  // expiring again changes nothing
  assert.deepEqual(b.expire(cutoff), { visitors: [], faces: 0 });
});
