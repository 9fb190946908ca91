import assert from "node:assert/strict";
import { test } from "node:test";
import { hardNms, iou, weightedNms } from "./nms.ts";
import type { Detection } from "./types.ts";

function det(x: number, y: number, s: number, score: number): Detection {
  const p = { x: x + s / 2, y: y + s / 2 };
  return {
    box: { x, y, width: s, height: s },
    keypoints: { rightEye: p, leftEye: p, noseTip: p, mouth: p, rightEar: p, leftEar: p },
    score,
  };
}

test("iou", () => {
  assert.equal(iou(det(0, 0, 10, 1).box, det(0, 0, 10, 1).box), 1);
  assert.equal(iou(det(0, 0, 10, 1).box, det(20, 0, 10, 1).box), 0);
  assert.ok(Math.abs(iou(det(0, 0, 10, 1).box, det(5, 0, 10, 1).box) - 50 / 150) < 1e-12);
});

test("hardNms keeps the best of each overlapping group", () => {
  const out = hardNms([det(0, 0, 10, 0.6), det(1, 0, 10, 0.9), det(50, 50, 10, 0.7)], 0.3);
  assert.deepEqual(
    out.map((d) => d.score),
    [0.9, 0.7],
  );
});

test("weightedNms blends a group by score and keeps its best score", () => {
  const out = weightedNms([det(0, 0, 10, 0.75), det(2, 0, 10, 0.25), det(100, 0, 10, 0.5)], 0.3);
  assert.equal(out.length, 2);
  const [a, b] = out;
  assert.ok(a && b);
  assert.equal(a.score, 0.75);
  assert.ok(Math.abs(a.box.x - 0.5) < 1e-12);
  assert.ok(Math.abs(a.keypoints.noseTip.x - 5.5) < 1e-12);
  assert.equal(b.box.x, 100);
});
