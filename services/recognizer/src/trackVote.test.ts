import assert from "node:assert/strict";
import { test } from "node:test";
import { type ShotMatch, type VoteOptions, addShot, decideTrack, newTrackState, readyToConclude } from "./trackVote.ts";

const o: VoteOptions = {
  nameThreshold: 0.9,
  probableThreshold: 0.87,
  minMargin: 0.02,
  minAgreeing: 2,
  minShare: 0.6,
  singleShotThreshold: 0.95,
  minUnknownShots: 1,
};
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
