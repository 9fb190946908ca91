import assert from "node:assert/strict";
import { test } from "node:test";
import { keypointsToArray, mapKeypoints, meanKeypoints } from "./keypoints.ts";
import { fillBgrPlanar } from "./resample.ts";
import { decodeYuNetHead, type YuNetHead } from "./yunet-decode.ts";
import type { Detection } from "./types.ts";

/** A stride-8 head for a 32x16 input (4 x 2 cells) with one face at cell (row 1, column 2). */
function head(cls = 0.81, obj = 0.64): YuNetHead {
  const n = 8;
  const h = {
    stride: 8,
    cls: new Float32Array(n),
    obj: new Float32Array(n),
    bbox: new Float32Array(4 * n),
    kps: new Float32Array(10 * n),
  };
  const idx = 1 * 4 + 2;
  h.cls[idx] = cls;
  h.obj[idx] = obj;
  h.bbox.set([0.5, 0.25, Math.log(2), Math.log(3)], idx * 4);
  // eyes, nose, mouth corners (cell units, relative to the cell's top-left)
  h.kps.set([-0.25, 0, 1.25, 0, 0.5, 0.5, 0, 1, 1, 1.5], idx * 10);
  return h;
}

test("YuNet decoding: score sqrt(cls * obj), box from the cell's corner in stride units, exp sizes", () => {
  const out: Detection[] = [];
  decodeYuNetHead(head(), 32, 16, 0.5, out);
  assert.equal(out.length, 1);
  const d = out[0] as Detection;
  assert.ok(Math.abs(d.score - 0.72) < 1e-6, `score ${d.score}`);
  // cx = (2 + 0.5) * 8 = 20, cy = (1 + 0.25) * 8 = 10, w = 2 * 8, h = 3 * 8
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;
  assert.ok(close(d.box.x, 12) && close(d.box.y, -2) && close(d.box.width, 16) && close(d.box.height, 24), JSON.stringify(d.box));
  const k = d.keypoints;
  assert.ok(close(k.rightEye.x, 14) && close(k.rightEye.y, 8));
  assert.ok(close(k.leftEye.x, 26) && close(k.noseTip.x, 20) && close(k.noseTip.y, 12));
  assert.ok(k.mouthRight && k.mouthLeft && close(k.mouthRight.x, 16) && close(k.mouthLeft.x, 24) && close(k.mouthLeft.y, 20));
  // the mouth centre is the corners' mean; YuNet has no ears
  assert.ok(close(k.mouth.x, 20) && close(k.mouth.y, 18));
  assert.equal(k.rightEar, undefined);
  assert.equal(keypointsToArray(k).length, 6);
});

test("YuNet decoding: the threshold applies to the combined score, raw values are clamped to [0, 1]", () => {
  const out: Detection[] = [];
  decodeYuNetHead(head(0.81, 0.64), 32, 16, 0.73, out);
  assert.equal(out.length, 0);
  decodeYuNetHead(head(1.7, -0.2), 32, 16, 0.01, out);
  assert.equal(out.length, 0, "a negative objectness is 0");
  decodeYuNetHead(head(1.7, 0.49), 32, 16, 0.69, out);
  assert.equal(out.length, 1);
  assert.ok(Math.abs((out[0] as Detection).score - 0.7) < 1e-6, "cls clamped to 1: sqrt(0.49)");
});

test("YuNet decoding refuses outputs that do not fit the input's grid", () => {
  assert.throws(() => decodeYuNetHead(head(), 32, 24, 0.5, []), /do not fit a 4x3 grid/);
  assert.throws(() => decodeYuNetHead(head(), 36, 16, 0.5, []), /not a multiple of stride 8/);
});

test("fillBgrPlanar: planar B, G, R at an offset, black elsewhere", () => {
  const img = { data: Uint8Array.from([10, 20, 30, 40, 50, 60]), width: 2, height: 1 };
  const out = new Float32Array(3 * 3 * 2).fill(-1);
  fillBgrPlanar(img, 1, 1, 3, 2, out);
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 30, 60, 0, 0, 0, 0, 20, 50, 0, 0, 0, 0, 10, 40]);
  assert.throws(() => fillBgrPlanar(img, 0, 0, 4, 4, new Float32Array(10)), RangeError);
});

test("keypoint sets of either detector map and average by name", () => {
  const yunet = {
    rightEye: { x: 0, y: 0 },
    leftEye: { x: 2, y: 0 },
    noseTip: { x: 1, y: 1 },
    mouth: { x: 1, y: 2 },
    mouthRight: { x: 0.5, y: 2 },
    mouthLeft: { x: 1.5, y: 2 },
  };
  const moved = mapKeypoints(yunet, (p) => ({ x: p.x * 2 + 1, y: p.y }));
  assert.deepEqual(moved.mouthLeft, { x: 4, y: 2 });
  assert.equal(moved.rightEar, undefined);
  const mean = meanKeypoints([yunet, moved], [1, 3]);
  assert.deepEqual(mean.leftEye, { x: (2 + 3 * 5) / 4, y: 0 });
  assert.deepEqual(Object.keys(mean).sort(), Object.keys(yunet).sort());
  const blaze = { ...yunet, mouthRight: undefined, mouthLeft: undefined, rightEar: { x: -1, y: 0 }, leftEar: { x: 3, y: 0 } };
  assert.throws(() => meanKeypoints([blaze, yunet], [1, 1]), /keypoint sets differ/);
});
