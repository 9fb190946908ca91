import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BestShotSelector } from "./bestShot.ts";

const c = (quality: number, passes = true, tag = "") => ({ quality, passes, tag });
type Cand = ReturnType<typeof c>;

describe("BestShotSelector", () => {
  test("the first good shot of a confirmed track goes out at once as shot 1", () => {
    const s = new BestShotSelector<Cand>({ intervalMs: 1000, minQuality: 0.3 });
    const shot = s.observe("t1", c(0.5), 0, true);
    assert.equal(shot?.shot, 1);
    assert.equal(shot?.trackId, "t1");
    assert.equal(shot?.candidate.quality, 0.5);
  });

  test("nothing before the track is confirmed; then the best face seen so far", () => {
    const s = new BestShotSelector<Cand>({ minQuality: 0.3 });
    assert.equal(s.observe("t1", c(0.7, true, "a"), 0, false), null);
    const shot = s.observe("t1", c(0.5, true, "b"), 200, true);
    assert.equal(shot?.candidate.tag, "a");
  });

  test("faces that fail the gate or the minimum quality are never shots, but count for bestQuality", () => {
    const s = new BestShotSelector<Cand>({ minQuality: 0.4 });
    assert.equal(s.observe("t1", c(0.9, false), 0, true), null);
    assert.equal(s.observe("t1", c(0.35, true), 200, true), null);
    const end = s.end("t1", true);
    assert.equal(end.shot, null);
    assert.deepEqual(end.stats, { frames: 2, shots: 0, bestQuality: 0.9 });
  });

  test("then at most one shot per interval: the best since the last one", () => {
    const s = new BestShotSelector<Cand>({ intervalMs: 1000, minQuality: 0.1 });
    const out: { t: number; shot: number; tag: string }[] = [];
    const feed: [number, number, string][] = [
      [0, 0.5, "a"], // shot 1 at once
      [200, 0.6, "b"],
      [400, 0.9, "c"], // best since a
      [600, 0.4, "d"],
      [800, 0.5, "e"],
      [1000, 0.3, "f"], // interval passed: c goes out
      [1200, 0.8, "g"],
      [1400, 0.7, "h"],
      [2000, 0.2, "i"], // g goes out
    ];
    for (const [t, q, tag] of feed) {
      const shot = s.observe("t1", c(q, true, tag), t, true);
      if (shot) out.push({ t, shot: shot.shot, tag: shot.candidate.tag });
    }
    assert.deepEqual(out, [
      { t: 0, shot: 1, tag: "a" },
      { t: 1000, shot: 2, tag: "c" },
      { t: 2000, shot: 3, tag: "g" },
    ]);
  });

  test("a track that stays in view gets one shot per interval, not one per frame", () => {
    const s = new BestShotSelector<Cand>({ intervalMs: 1000, minQuality: 0.1, maxShotsPerTrack: 1000 });
    let shots = 0;
    for (let i = 0; i < 50; i++) if (s.observe("t1", c(0.5 + (i % 3) * 0.1), i * 200, true)) shots++;
    assert.equal(shots, 10); // 10 s of frames at 5 per second
  });

  test("after maxShotsPerTrack shots only improvements are sent", () => {
    const s = new BestShotSelector<Cand>({ intervalMs: 0, minQuality: 0.1, maxShotsPerTrack: 2 });
    assert.ok(s.observe("t1", c(0.5), 0, true));
    assert.ok(s.observe("t1", c(0.4), 1, true));
    assert.equal(s.observe("t1", c(0.45), 2, true), null); // not better than 0.5
    assert.equal(s.observe("t1", c(0.5), 3, true), null);
    assert.equal(s.observe("t1", c(0.7), 4, true)?.shot, 3);
  });

  test("at the end a pending better face is flushed; a worse one is not", () => {
    const s = new BestShotSelector<Cand>({ intervalMs: 1000, minQuality: 0.1 });
    s.observe("t1", c(0.5, true, "a"), 0, true);
    s.observe("t1", c(0.8, true, "b"), 200, true);
    const end = s.end("t1", true);
    assert.equal(end.shot?.shot, 2);
    assert.equal(end.shot?.candidate.tag, "b");
    assert.deepEqual(end.stats, { frames: 2, shots: 2, bestQuality: 0.8 });

    s.observe("t2", c(0.8), 0, true);
    s.observe("t2", c(0.6), 200, true);
    assert.equal(s.end("t2", true).shot, null);
  });

  test("an unconfirmed track ends silently and its state is dropped", () => {
    const s = new BestShotSelector<Cand>();
    s.observe("t1", c(0.9), 0, false);
    const end = s.end("t1", false);
    assert.equal(end.shot, null);
    assert.equal(end.stats.shots, 0);
    assert.equal(s.size, 0);
    assert.deepEqual(s.end("never-seen", true).stats, { frames: 0, shots: 0, bestQuality: 0 });
  });

  test("tracks are independent", () => {
    const s = new BestShotSelector<Cand>({ intervalMs: 1000 });
    assert.equal(s.observe("a", c(0.5), 0, true)?.shot, 1);
    assert.equal(s.observe("b", c(0.5), 10, true)?.shot, 1);
    assert.equal(s.size, 2);
  });

  test("invalid options are refused", () => {
    assert.throws(() => new BestShotSelector<Cand>({ minQuality: 2 }), RangeError);
    assert.throws(() => new BestShotSelector<Cand>({ intervalMs: -1 }), RangeError);
  });
});
