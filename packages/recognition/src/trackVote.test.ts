import assert from "node:assert/strict";
import { test } from "node:test";
import { type FusedMatcher, type ShotMatch, addShot, decideTrack, newTrackState, readyToConclude } from "./trackVote.ts";
import { TEST_VOTE } from "../test/helpers.ts";

const o = TEST_VOTE;
const shot = (personId: string | null, similarity: number, margin = 0.1, name = personId ?? ""): ShotMatch => ({
  best: personId === null ? null : { personId, name, similarity, margin },
});

test("one strong shot is only 'probable'; the second agreeing shot confirms the track", () => {
  const s = newTrackState("cam", "t1");
  const first = addShot(s, "d1", shot("ann", 0.93, 0.1, "Ann"), o);
  assert.equal(first.kind === "recognized" && first.decision, "probable");
  const second = addShot(s, "d2", shot("ann", 0.92, 0.1, "Ann"), o);
  assert.deepEqual(second, {
    kind: "recognized",
    personId: "ann",
    name: "Ann",
    similarity: 0.92,
    margin: 0.1,
    decision: "confirmed",
    agreeing: 2,
    total: 2,
  });
});

test("a redelivered detection gets the same outcome and is not counted twice", () => {
  const s = newTrackState("cam", "t1");
  const a = addShot(s, "d1", shot("ann", 0.93), o);
  const b = addShot(s, "d1", shot("bob", 0.99), o);
  assert.deepEqual(b, a);
  assert.equal(s.processed, 1);
  assert.equal(s.tally.bob, undefined);
});

test("a tie is never named", () => {
  const s = newTrackState("cam", "t1");
  addShot(s, "d1", shot("ann", 0.93), o);
  addShot(s, "d2", shot("bob", 0.93), o);
  addShot(s, "d3", shot("ann", 0.93), o);
  addShot(s, "d4", shot("bob", 0.93), o);
  const d = decideTrack(s, o);
  assert.equal(d.kind, "undecided");
  assert.match(d.kind === "undecided" ? d.reason : "", /tie/);
});

test("a winner without the share is not named (2 of ann, 2 of bob, 1 of cid is a tie; 3-2 is below 60%)", () => {
  const s = newTrackState("cam", "t1");
  for (const [i, p] of ["ann", "bob", "ann", "bob", "ann"].entries()) addShot(s, `d${i}`, shot(p, 0.95), o);
  assert.equal(decideTrack(s, o).kind, "recognized", "3 of 5 is exactly 60%");
  addShot(s, "d9", shot("bob", 0.95), o);
  assert.equal(decideTrack(s, o).kind, "undecided", "3 of 6 is a tie");
});

test("shots below the naming threshold or the margin do not vote; a stranger's track concludes unknown", () => {
  const s = newTrackState("cam", "t1");
  const a = addShot(s, "d1", shot("ann", 0.85), o);
  const b = addShot(s, "d2", shot("ann", 0.95, 0.01), o);
  assert.equal(a.kind, "unknown");
  assert.equal(b.kind, "unknown", "an ambiguous shot (small margin) is not even probable");
  assert.equal(decideTrack(s, o).kind, "unknown");
  assert.equal(s.bestSimilarity, 0.95);
});

test("an empty gallery: every shot unknown, the track unknown", () => {
  const s = newTrackState("cam", "t1");
  assert.deepEqual(addShot(s, "d1", shot(null, 0), o), { kind: "unknown", bestSimilarity: -1, bestPersonId: null });
  assert.equal(decideTrack(s, o).kind, "unknown");
});

test("a single-shot track is named only when the shot is very strong, and only once the track ended", () => {
  const strong = newTrackState("cam", "t1");
  addShot(strong, "d1", shot("ann", 0.96), o);
  assert.equal(decideTrack(strong, o).kind, "undecided", "still running: wait for more shots");
  strong.ended = { startedAt: "a", endedAt: "b", frames: 3, shots: 1, bestQuality: 0.5 };
  assert.equal(decideTrack(strong, o).kind, "recognized");
  const weak = newTrackState("cam", "t2");
  addShot(weak, "d1", shot("ann", 0.92), o);
  weak.ended = { startedAt: "a", endedAt: "b", frames: 3, shots: 1, bestQuality: 0.5 };
  assert.equal(decideTrack(weak, o).kind, "undecided");
});

test("a track concludes when it ended and all its shots were processed, once", () => {
  const s = newTrackState("cam", "t1");
  addShot(s, "d1", shot("ann", 0.95), o);
  assert.equal(readyToConclude(s), false);
  s.ended = { startedAt: "a", endedAt: "b", frames: 30, shots: 2, bestQuality: 0.7 };
  assert.equal(readyToConclude(s), false, "one shot still in flight");
  addShot(s, "d2", shot("ann", 0.95), o);
  assert.equal(readyToConclude(s), true);
  s.concluded = true;
  assert.equal(readyToConclude(s), false);
});

// track fusion: a fixed "gallery" of two unit vectors, ann = e0 and bob = e1, matched by dot product
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const gallery: FusedMatcher = (p) => {
  const ann = p[0] as number;
  const bob = p[1] as number;
  const [best, other] = ann >= bob ? [{ id: "ann", s: ann }, bob] : [{ id: "bob", s: bob }, ann];
  return { personId: best.id, name: best.id, similarity: best.s, margin: best.s - other };
};
// a shot of ann seen through noise: similarity ~0.89 each (under the 0.9 naming threshold), noise in other directions
const noisyAnn = (i: number) => unit([0.89, 0.05, ...[0, 1, 2, 3].map((k) => (k === i % 4 ? 0.45 : 0))]);

test("fusion: shots each just under the naming threshold, all pointing at one person, name the track once averaged", () => {
  const s = newTrackState("cam", "t1");
  const outcomes = [0, 1, 2, 3].map((i) => {
    const e = noisyAnn(i);
    return addShot(s, `d${i}`, { best: gallery(Float32Array.from(e)), embedding: e }, o, gallery);
  });
  assert.ok(
    outcomes.slice(0, 2).every((x) => (x.kind === "recognized" ? x.decision === "probable" : true)),
    "2 shots: not yet",
  );
  const d = decideTrack(s, o);
  assert.equal(d.kind, "recognized");
  assert.equal(d.kind === "recognized" && d.by, "fused");
  assert.equal(d.kind === "recognized" && d.personId, "ann");
  assert.ok(d.kind === "recognized" && d.similarity >= o.nameThreshold);
  const last = outcomes[3];
  assert.equal(last?.kind === "recognized" && last.decision, "confirmed");
});

test("fusion never names a track in which a shot voted for someone else, nor with fewer shots than required, nor when off", () => {
  const s = newTrackState("cam", "t1");
  for (const i of [0, 1, 2, 3]) {
    const e = noisyAnn(i);
    addShot(s, `d${i}`, { best: gallery(Float32Array.from(e)), embedding: e }, o, gallery);
  }
  addShot(s, "dbob", shot("bob", 0.95), o, gallery);
  assert.notEqual(decideTrack(s, o).kind, "recognized");

  const few = newTrackState("cam", "t2");
  for (const i of [0, 1])
    addShot(few, `d${i}`, { best: gallery(Float32Array.from(noisyAnn(i))), embedding: noisyAnn(i) }, o, gallery);
  assert.notEqual(decideTrack(few, o).kind, "recognized");

  const off = { ...o, fusedMinShots: 0 };
  const s3 = newTrackState("cam", "t3");
  for (const i of [0, 1, 2, 3])
    addShot(s3, `d${i}`, { best: gallery(Float32Array.from(noisyAnn(i))), embedding: noisyAnn(i) }, off, gallery);
  assert.notEqual(decideTrack(s3, off).kind, "recognized");
  assert.equal(s3.embeddingSum, undefined);
});

test("fusion: a redelivered shot is not added to the sum twice", () => {
  const s = newTrackState("cam", "t1");
  const e = noisyAnn(0);
  addShot(s, "d0", { best: gallery(Float32Array.from(e)), embedding: e }, o, gallery);
  addShot(s, "d0", { best: gallery(Float32Array.from(e)), embedding: e }, o, gallery);
  assert.equal(s.fusedShots, 1);
});
