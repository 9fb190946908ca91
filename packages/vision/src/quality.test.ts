import assert from "node:assert/strict";
import { test } from "node:test";
import { estimatePose } from "./pose.ts";
import { qualityGate, scoreQuality } from "./quality.ts";
import { laplacianVariance } from "./sharpness.ts";
import type { FaceKeypoints, Point, RgbImage } from "./types.ts";

function noiseImage(w: number, h: number, seed = 7): RgbImage {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < w * h; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const v = s & 255;
    data.set([v, v, v], i * 3);
  }
  return { data, width: w, height: h };
}

function boxBlur(img: RgbImage, r: number): RgbImage {
  const { width: w, height: h } = img;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        let n = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const xx = Math.min(w - 1, Math.max(0, x + dx));
            const yy = Math.min(h - 1, Math.max(0, y + dy));
            s += img.data[(yy * w + xx) * 3 + c] as number;
            n++;
          }
        }
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
    }
  }
  return { data: out, width: w, height: h };
}

test("variance of Laplacian drops with blur and is 0 on a flat image", () => {
  const sharp = noiseImage(112, 112);
  const v0 = laplacianVariance(sharp);
  const v1 = laplacianVariance(boxBlur(sharp, 1));
  const v2 = laplacianVariance(boxBlur(sharp, 2));
  assert.ok(v0 > v1 && v1 > v2, `${v0} > ${v1} > ${v2}`);
  assert.ok(v2 < v0 / 10);
  assert.equal(laplacianVariance({ data: new Uint8Array(50 * 50 * 3).fill(128), width: 50, height: 50 }), 0);
});

const kp = (re: Point, le: Point, n: Point, m: Point): FaceKeypoints => ({
  rightEye: re,
  leftEye: le,
  noseTip: n,
  mouth: m,
  rightEar: re,
  leftEar: le,
});

test("pose: frontal ~0, nose to the image right -> positive yaw, tilted eye line -> roll", () => {
  const frontal = estimatePose(kp({ x: 100, y: 100 }, { x: 150, y: 100 }, { x: 125, y: 125 }, { x: 125, y: 150 }));
  assert.ok(Math.abs(frontal.yaw) < 1e-9 && Math.abs(frontal.roll) < 1e-9 && Math.abs(frontal.pitch) < 1e-9);
  const turned = estimatePose(kp({ x: 100, y: 100 }, { x: 150, y: 100 }, { x: 140, y: 125 }, { x: 130, y: 150 }));
  assert.ok(turned.yaw > 20 && turned.yaw < 50, `${turned.yaw}`);
  const th = (25 * Math.PI) / 180;
  const rot = (p: Point): Point => ({
    x: 125 + (p.x - 125) * Math.cos(th) - (p.y - 125) * Math.sin(th),
    y: 125 + (p.x - 125) * Math.sin(th) + (p.y - 125) * Math.cos(th),
  });
  const rolled = estimatePose(
    kp(rot({ x: 100, y: 100 }), rot({ x: 150, y: 100 }), rot({ x: 125, y: 125 }), rot({ x: 125, y: 150 })),
  );
  assert.ok(Math.abs(rolled.roll - 25) < 1e-9, `${rolled.roll}`);
  assert.ok(
    Math.abs(rolled.yaw) < 1e-9 && Math.abs(rolled.pitch) < 1e-9,
    `roll must not leak into yaw/pitch: ${rolled.yaw} ${rolled.pitch}`,
  );
  const up = estimatePose(kp({ x: 100, y: 100 }, { x: 150, y: 100 }, { x: 125, y: 115 }, { x: 125, y: 150 }));
  assert.ok(up.pitch > 10, `${up.pitch}`);
});

const base = { faceSize: 120, eyeDistance: 50, sharpness: 150, pose: { yaw: 0, pitch: 0, roll: 0 }, detectorScore: 0.95 };

test("score: in [0, 1], monotone in size, sharpness and pose", () => {
  const q = scoreQuality(base);
  assert.ok(q.score > 0.7 && q.score <= 1, `${q.score}`);
  assert.ok(scoreQuality({ ...base, eyeDistance: 25 }).score < q.score);
  assert.ok(scoreQuality({ ...base, sharpness: 20 }).score < q.score);
  assert.ok(scoreQuality({ ...base, pose: { yaw: 40, pitch: 0, roll: 0 } }).score < q.score);
  assert.equal(scoreQuality({ ...base, eyeDistance: 10 }).score, 0);
});

test("gate: passes good faces, gives a reason otherwise", () => {
  assert.deepEqual(qualityGate(scoreQuality(base)), { pass: true });
  const small = qualityGate(scoreQuality({ ...base, faceSize: 30, eyeDistance: 11 }));
  assert.equal(small.pass, false);
  assert.match(small.pass ? "" : small.reason, /eyes too close: 11\.0 px/);
  const turned = qualityGate(scoreQuality({ ...base, pose: { yaw: -55, pitch: 0, roll: 0 } }));
  assert.match(turned.pass ? "" : turned.reason, /yaw -55/);
  const blurred = qualityGate(scoreQuality({ ...base, sharpness: 3 }));
  assert.match(blurred.pass ? "" : blurred.reason, /blurred/);
  assert.equal(qualityGate(scoreQuality({ ...base, sharpness: 3 }), { minSharpness: 0, minScore: 0 }).pass, true);
});
