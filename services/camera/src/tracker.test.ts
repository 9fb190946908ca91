import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { squareFace } from "./testing/faces.ts";
import { FaceTracker, type TrackInput, boxIou } from "./tracker.ts";

/** A face of side `size` centred at (cx, cy), with keypoints where BlazeFace puts them. */
const face = (cx: number, cy: number, size = 60): TrackInput => squareFace(cx, cy, size);

function tracker(options = {}) {
  let n = 0;
  return new FaceTracker({ maxMissed: 5, minHits: 2, ...options }, () => `cam-run-${++n}`);
}

describe("FaceTracker", () => {
  test("IoU of boxes", () => {
    assert.equal(boxIou({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 }), 1);
    assert.equal(boxIou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 }), 0);
    assert.ok(Math.abs(boxIou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 }) - 1 / 3) < 1e-9);
  });

  test("one face moving steadily keeps one id for its whole walk", () => {
    const t = tracker();
    const ids = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const u = t.update([face(100 + 8 * i, 200 + 2 * i)], i * 200, i * 6);
      ids.add((u.assigned[0] as { id: string }).id);
    }
    assert.deepEqual([...ids], ["cam-run-1"]);
    assert.equal(t.tracks[0]?.hits, 60);
  });

  test("fast motion at 5 detections/s (a face size per frame) is still one track", () => {
    const t = tracker();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((t.update([face(60 + 55 * i, 200)], i * 200, i).assigned[0] as { id: string }).id);
    assert.equal(ids.size, 1);
  });

  test("a face that jumps across the frame is someone else", () => {
    const t = tracker();
    t.update([face(100, 100)], 0, 0);
    const u = t.update([face(500, 400)], 200, 1);
    assert.equal(u.started.length, 1);
    assert.notEqual(u.assigned[0]?.id, "cam-run-1");
  });

  test("brief misses are tolerated; a longer absence ends the track and a returning face gets a new id", () => {
    const t = tracker({ maxMissed: 3 });
    t.update([face(100, 100)], 0, 0);
    t.update([face(104, 100)], 200, 1);
    for (let i = 2; i < 5; i++) assert.equal(t.update([], i * 200, i).ended.length, 0); // 3 misses: still alive
    const back = t.update([face(110, 100)], 1000, 5);
    assert.equal(back.assigned[0]?.id, "cam-run-1");
    assert.equal(back.assigned[0]?.missed, 0);
    let ended: string[] = [];
    for (let i = 6; i < 10; i++) ended = ended.concat(t.update([], i * 200, i).ended.map((x) => x.id));
    assert.deepEqual(ended, ["cam-run-1"]);
    const again = t.update([face(110, 100)], 2000, 10);
    assert.equal(again.started[0]?.id, "cam-run-2");
  });

  test("a face that stopped while unseen is found where it stopped (velocity does not carry it away)", () => {
    const t = tracker({ maxMissed: 5 });
    for (let i = 0; i < 5; i++) t.update([face(100 + 30 * i, 200)], i * 200, i);
    for (let i = 5; i < 9; i++) t.update([], i * 200, i);
    const u = t.update([face(225, 200)], 1800, 9);
    assert.equal(u.assigned[0]?.id, "cam-run-1");
  });

  test("two faces side by side keep their own ids, in any detection order, and do not swap when they pass", () => {
    const t = tracker();
    const seen: Record<string, Set<string>> = { a: new Set(), b: new Set() };
    for (let i = 0; i < 30; i++) {
      // a walks right, b walks left, on lines 90 px apart vertically (they pass each other at i = 15)
      const a = face(100 + 20 * i, 150);
      const b = face(700 - 20 * i, 240);
      const order = i % 2 === 0 ? [a, b] : [b, a];
      const u = t.update(order, i * 200, i);
      const ia = u.assigned[order.indexOf(a)]?.id as string;
      const ib = u.assigned[order.indexOf(b)]?.id as string;
      seen.a?.add(ia);
      seen.b?.add(ib);
    }
    assert.equal(seen.a?.size, 1);
    assert.equal(seen.b?.size, 1);
    assert.notDeepEqual([...(seen.a ?? [])], [...(seen.b ?? [])]);
  });

  test("a new face entering gets a new id while the present one keeps its own", () => {
    const t = tracker();
    t.update([face(100, 100)], 0, 0);
    t.update([face(102, 100)], 200, 1);
    const u = t.update([face(104, 100), face(400, 300)], 400, 2);
    assert.equal(u.assigned[0]?.id, "cam-run-1");
    assert.equal(u.assigned[1]?.id, "cam-run-2");
    assert.deepEqual(
      u.started.map((x) => x.id),
      ["cam-run-2"],
    );
  });

  test("confirmation after minHits; one-frame detections never confirm", () => {
    const t = tracker({ minHits: 2 });
    const first = t.update([face(100, 100)], 0, 0);
    assert.equal(first.assigned[0]?.confirmed, false);
    const second = t.update([face(101, 100)], 200, 1);
    assert.equal(second.assigned[0]?.confirmed, true);
    assert.deepEqual(
      second.confirmed.map((x) => x.id),
      ["cam-run-1"],
    );
    const single = tracker({ minHits: 1 }).update([face(1, 1)], 0, 0);
    assert.equal(single.assigned[0]?.confirmed, true);
  });

  test("a very different size is not the same face", () => {
    const t = tracker();
    t.update([face(200, 200, 40)], 0, 0);
    const u = t.update([face(200, 200, 120)], 200, 1);
    assert.equal(u.started.length, 1);
  });

  test("no id flood: a person jittering in place for a minute is one track", () => {
    const t = tracker();
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff - 0.5;
    };
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      // detector jitter of +-8 px and size +-10%, one missed detection in ten
      if (i % 10 === 9) {
        t.update([], i * 200, i);
        continue;
      }
      ids.add(
        t.update([face(320 + 16 * rand(), 240 + 16 * rand(), 80 * (1 + 0.2 * rand()))], i * 200, i).assigned[0]?.id as string,
      );
    }
    assert.equal(ids.size, 1);
  });

  test("endAll ends every live track and leaves none", () => {
    const t = tracker();
    t.update([face(100, 100), face(400, 100)], 0, 0);
    assert.deepEqual(
      t.endAll().map((x) => x.id),
      ["cam-run-1", "cam-run-2"],
    );
    assert.equal(t.tracks.length, 0);
  });

  test("tracks remember first and last sighting", () => {
    const t = tracker();
    t.update([face(100, 100)], 1000, 6);
    t.update([face(101, 100)], 1200, 12);
    const tr = t.tracks[0];
    assert.equal(tr?.startedAt, 1000);
    assert.equal(tr?.firstFrameNo, 6);
    assert.equal(tr?.lastSeenAt, 1200);
    assert.equal(tr?.lastFrameNo, 12);
  });

  test("invalid options are refused", () => {
    assert.throws(() => new FaceTracker({ minHits: 0 }, () => "x"), RangeError);
    assert.throws(() => new FaceTracker({ iouThreshold: 2 }, () => "x"), RangeError);
  });
});
