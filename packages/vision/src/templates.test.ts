import assert from "node:assert/strict";
import { test } from "node:test";
import { ARCFACE_112, DLIB_150, dlibTemplate, resizeTemplate, withMargin } from "./templates.ts";
import type { Point } from "./types.ts";

const pt = (p: Point | undefined): Point => {
  assert.ok(p);
  return p;
};

test("dlib 150 template: eyes level and symmetric about the chip centre column, face in the middle", () => {
  const r = pt(DLIB_150.points.rightEye);
  const l = pt(DLIB_150.points.leftEye);
  const n = pt(DLIB_150.points.noseTip);
  const m = pt(DLIB_150.points.mouth);
  assert.ok(Math.abs(r.y - l.y) < 1e-9);
  assert.ok(r.x < n.x && n.x < l.x);
  assert.ok(r.y < n.y && n.y < m.y);
  // (0.25 + 0.2255) / 1.5 * 150 = 47.5 and (0.25 + 0.7548) / 1.5 * 150 = 100.5
  assert.ok(Math.abs(r.x - 47.55) < 0.1, `${r.x}`);
  assert.ok(Math.abs(l.x - 100.48) < 0.1, `${l.x}`);
  assert.ok(Math.abs(r.y - 46.6) < 0.1, `${r.y}`);
  assert.equal(dlibTemplate(150, 0).width, 150);
});

test("arcface template is the insightface one (mouth = mean of corners)", () => {
  assert.deepEqual(ARCFACE_112.points.rightEye, { x: 38.2946, y: 51.6963 });
  assert.ok(Math.abs(pt(ARCFACE_112.points.mouth).x - (41.5493 + 70.7299) / 2) < 1e-9);
});

test("resizeTemplate scales with the chip; withMargin shrinks about the centre", () => {
  const big = resizeTemplate(ARCFACE_112, 224, 224);
  assert.equal(big.width, 224);
  assert.ok(Math.abs(pt(big.points.rightEye).x - ((38.2946 + 0.5) * 2 - 0.5)) < 1e-9);
  const padded = withMargin(ARCFACE_112, 0.25);
  const d0 = pt(ARCFACE_112.points.leftEye).x - pt(ARCFACE_112.points.rightEye).x;
  const d1 = pt(padded.points.leftEye).x - pt(padded.points.rightEye).x;
  assert.ok(Math.abs(d1 - d0 / 1.5) < 1e-9);
  assert.throws(() => withMargin(ARCFACE_112, -0.6), RangeError);
});

test("dlib templates carry dlib's 51 mean-face targets (iBUG 17..67), consistent with their 4 keypoints", () => {
  const t = dlibTemplate(150, 0.25);
  const lm = t.landmarks68;
  assert.ok(lm);
  assert.equal(lm.length, 51);
  const mean = (from: number, to: number) => {
    const s = lm.slice(from - 17, to - 17 + 1);
    return { x: s.reduce((a, p) => a + p.x, 0) / s.length, y: s.reduce((a, p) => a + p.y, 0) / s.length };
  };
  const r = mean(36, 41);
  assert.ok(Math.abs(r.x - pt(t.points.rightEye).x) < 1e-9 && Math.abs(r.y - pt(t.points.rightEye).y) < 1e-9);
  const nose = lm[30 - 17] as Point;
  assert.deepEqual(nose, t.points.noseTip);
  // resizing and margins move the 51 targets with the 4 keypoints; templates of other models have none
  const big = resizeTemplate(withMargin(t, 0.1), 300, 300);
  const k = big.landmarks68?.[30 - 17];
  assert.ok(k && Math.abs(k.x - pt(big.points.noseTip).x) < 1e-9 && Math.abs(k.y - pt(big.points.noseTip).y) < 1e-9);
  assert.equal(ARCFACE_112.landmarks68, undefined);
});
