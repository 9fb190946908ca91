import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BLAZEFACE_BACK_HEADS,
  blazefaceHeads,
  decodeHead,
  headAnchors,
  logit,
  sigmoid,
  transformDetection,
} from "./blazeface-decode.ts";

test("anchor grids: 512 at stride 16 and 384 at stride 32, at cell centres", () => {
  const [h16, h32] = BLAZEFACE_BACK_HEADS;
  assert.ok(h16 && h32);
  const a16 = headAnchors(h16);
  const a32 = headAnchors(h32);
  assert.equal(a16.length / 2, 512);
  assert.equal(a32.length / 2, 384);
  assert.deepEqual([a16[0], a16[1], a16[2], a16[3], a16[4]], [8, 8, 8, 8, 24]);
  assert.deepEqual([a32[0], a32[1]], [16, 16]);
  // row 1 of the stride-32 grid starts after 8 cells x 6 anchors
  assert.deepEqual([a32[8 * 6 * 2], a32[8 * 6 * 2 + 1]], [16, 48]);
});

test("rectangular grids: a 640x384 input has 40x24 x 2 and 20x12 x 6 anchors, rows ordered (cellY, cellX, anchor)", () => {
  const [h16, h32] = blazefaceHeads(640, 384);
  assert.ok(h16 && h32);
  assert.deepEqual([h16.cells, h16.rows, h32.cells, h32.rows], [40, 24, 20, 12]);
  const a16 = headAnchors(h16, 640, 384);
  const a32 = headAnchors(h32, 640, 384);
  assert.equal(a16.length / 2, 40 * 24 * 2);
  assert.equal(a32.length / 2, 20 * 12 * 6);
  // anchor (cellX 39, cellY 0): last of the first row; then (0, 1)
  assert.deepEqual([a16[39 * 2 * 2], a16[39 * 2 * 2 + 1]], [632, 8]);
  assert.deepEqual([a16[40 * 2 * 2], a16[40 * 2 * 2 + 1]], [8, 24]);
  assert.deepEqual([a32[a32.length - 2], a32[a32.length - 1]], [624, 368]);
  // at 256x256 the general grid is the model's own
  const sq = blazefaceHeads(256, 256);
  assert.deepEqual(Array.from(headAnchors(sq[0] as never, 256, 256)), Array.from(headAnchors(BLAZEFACE_BACK_HEADS[0] as never)));
  assert.deepEqual(Array.from(headAnchors(sq[1] as never, 256, 256)), Array.from(headAnchors(BLAZEFACE_BACK_HEADS[1] as never)));
  assert.throws(() => blazefaceHeads(640, 360), RangeError);
});

test("decodeHead adds offsets to anchors and thresholds on the sigmoid score", () => {
  const [h16] = BLAZEFACE_BACK_HEADS;
  assert.ok(h16);
  const anchors = headAnchors(h16);
  const n = anchors.length / 2;
  const scores = new Float32Array(n).fill(-10);
  const regs = new Float32Array(n * 16);
  const i = (3 * 16 + 5) * 2 + 1; // cell (x 5, y 3), second anchor: centre (88, 56)
  scores[i] = 2;
  regs.set([2, -4, 40, 50, -10, -8, 10, -8, 0, 2, 0, 14, -20, 0, 20, 0], i * 16);
  const dets = decodeHead(scores, regs, anchors, 0.5);
  assert.equal(dets.length, 1);
  const d = dets[0];
  assert.ok(d);
  assert.ok(Math.abs(d.score - sigmoid(2)) < 1e-9);
  assert.deepEqual(d.box, { x: 90 - 20, y: 52 - 25, width: 40, height: 50 });
  assert.deepEqual(d.keypoints.rightEye, { x: 78, y: 48 });
  assert.deepEqual(d.keypoints.leftEye, { x: 98, y: 48 });
  assert.deepEqual(d.keypoints.mouth, { x: 88, y: 70 });
  assert.deepEqual(d.keypoints.leftEar, { x: 108, y: 56 });
  assert.equal(decodeHead(scores, regs, anchors, 0.9).length, 0);
});

test("logit inverts sigmoid; transformDetection maps boxes and keypoints", () => {
  assert.ok(Math.abs(sigmoid(logit(0.73)) - 0.73) < 1e-9);
  const k = { x: 1, y: 2 };
  const d = {
    box: { x: 10, y: 20, width: 30, height: 40 },
    keypoints: { rightEye: k, leftEye: k, noseTip: k, mouth: k, rightEar: k, leftEar: k },
    score: 0.9,
  };
  const t = transformDetection(d, 2, 3, 100, 200);
  assert.deepEqual(t.box, { x: 120, y: 260, width: 60, height: 120 });
  assert.deepEqual(t.keypoints.noseTip, { x: 102, y: 206 });
});
