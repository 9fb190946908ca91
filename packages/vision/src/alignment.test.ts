import assert from "node:assert/strict";
import { test } from "node:test";
import { alignFace, alignmentTransform } from "./alignment.ts";
import { applyAffine, type Affine } from "./similarity.ts";
import { ARCFACE_112, DLIB_150 } from "./templates.ts";
import { rampImage } from "./test-support/ramp.ts";
import type { FaceKeypoints, Point, RgbImage } from "./types.ts";
import { warpAffine } from "./warp.ts";

/** Black image with a Gaussian blob (sigma `r`) in the red channel at `p` (pixel-centre coordinates). */
function blob(w: number, h: number, p: Point, r: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  const x0 = Math.max(0, Math.floor(p.x - 5 * r));
  const x1 = Math.min(w - 1, Math.ceil(p.x + 5 * r));
  const y0 = Math.max(0, Math.floor(p.y - 5 * r));
  const y1 = Math.min(h - 1, Math.ceil(p.y + 5 * r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++)
      data[(y * w + x) * 3] = Math.round(250 * Math.exp(-((x - p.x) ** 2 + (y - p.y) ** 2) / (2 * r * r)));
  }
  return { data, width: w, height: h };
}

/** Mass centroid of the red channel. */
function centroid(img: RgbImage): Point {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const v = img.data[(y * img.width + x) * 3] as number;
      sx += x * v;
      sy += y * v;
      n += v;
    }
  }
  assert.ok(n > 0, "blob not in the chip");
  return { x: sx / n, y: sy / n };
}

function keypointsFrom(pts: Record<string, Point>): FaceKeypoints {
  // detections use edge coordinates (pixel i spans [i, i+1)): +0.5
  const e = (p: Point | undefined): Point => ({ x: (p as Point).x + 0.5, y: (p as Point).y + 0.5 });
  const dummy = e(pts.noseTip);
  return {
    rightEye: e(pts.rightEye),
    leftEye: e(pts.leftEye),
    noseTip: e(pts.noseTip),
    mouth: e(pts.mouth),
    rightEar: dummy,
    leftEar: dummy,
  };
}

for (const template of [ARCFACE_112, DLIB_150]) {
  for (const [scale, deg] of [
    [2.3, 20],
    [0.8, -35],
    [4, 5],
  ] as const) {
    test(`alignment puts the keypoints on ${template.name} (face scale ${scale}, roll ${deg} deg)`, () => {
      const th = (deg * Math.PI) / 180;
      const m: Affine = [scale * Math.cos(th), -scale * Math.sin(th), 100, scale * Math.sin(th), scale * Math.cos(th), 40];
      const pts: Record<string, Point> = {};
      for (const [k, p] of Object.entries(template.points)) pts[k] = applyAffine(m, p);
      // one image per keypoint, a blob at that keypoint only; the chip must show it at the template position
      for (const [k, target] of Object.entries(template.points)) {
        const img = blob(800, 700, pts[k] as Point, 2 * scale);
        const aligned = alignFace(img, keypointsFrom(pts), template);
        assert.equal(aligned.chip.width, template.width);
        assert.equal(aligned.chip.height, template.height);
        assert.ok(aligned.residual < 1e-6);
        const c = centroid(aligned.chip);
        assert.ok(
          Math.hypot(c.x - target.x, c.y - target.y) < 0.1,
          `${k}: found ${c.x.toFixed(2)},${c.y.toFixed(2)} want ${target.x.toFixed(2)},${target.y.toFixed(2)}`,
        );
      }
    });
  }
}

test("identity warp copies the image; transform maps keypoints to the template", () => {
  const img: RgbImage = { data: new Uint8Array(20 * 10 * 3).map((_, i) => (i * 31) & 255), width: 20, height: 10 };
  const same = warpAffine(img, [1, 0, 0, 0, 1, 0], 20, 10);
  assert.deepEqual(same.data, img.data);
  const pts: Record<string, Point> = {};
  for (const [k, p] of Object.entries(ARCFACE_112.points)) pts[k] = { x: p.x * 1.5 + 10, y: p.y * 1.5 + 4 };
  const { transform } = alignmentTransform(keypointsFrom(pts), ARCFACE_112);
  const q = applyAffine(transform, { x: (pts.leftEye as Point).x, y: (pts.leftEye as Point).y });
  assert.ok(Math.abs(q.x - (ARCFACE_112.points.leftEye as Point).x) < 1e-9);
});

test("constant border fills outside the source", () => {
  const img: RgbImage = { data: new Uint8Array(4 * 4 * 3).fill(200), width: 4, height: 4 };
  const out = warpAffine(img, [1, 0, 10, 0, 1, 10], 8, 8, { border: "constant", borderValue: [1, 2, 3] });
  assert.deepEqual([...out.data.subarray(0, 3)], [1, 2, 3]);
});

test("a 150x150 chip takes well under a few ms (target < 1 ms)", () => {
  const img: RgbImage = { data: new Uint8Array(1280 * 720 * 3).map((_, i) => i & 255), width: 1280, height: 720 };
  const pts: Record<string, Point> = {};
  for (const [k, p] of Object.entries(DLIB_150.points)) pts[k] = { x: p.x * 0.9 + 500, y: p.y * 0.9 + 300 };
  const kp = keypointsFrom(pts);
  for (let i = 0; i < 50; i++) alignFace(img, kp, DLIB_150);
  const n = 300;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) alignFace(img, kp, DLIB_150);
  const ms = (performance.now() - t0) / n;
  assert.ok(ms < 3, `align 150x150: ${ms.toFixed(3)} ms`);
});

test("warpAffine (OpenCV, 1/32 px sub-pixel steps) samples a ramp where the exact inverse map says, within 1 level", () => {
  const W = 160;
  const H = 120;
  const ramp = rampImage(W, H, 1, 2); // R = x, G = 2y
  // rotate 20 degrees, scale 0.8, shift: the similarity an alignment produces
  const c = 0.8 * Math.cos(0.35);
  const s = 0.8 * Math.sin(0.35);
  const m = [c, -s, 10, s, c, -20] as const;
  const out = warpAffine(ramp, m, 112, 112);
  const det = c * c + s * s;
  for (let v = 0; v < 112; v += 3) {
    for (let u = 0; u < 112; u += 3) {
      const x = (c * (u - 10) + s * (v + 20)) / det;
      const y = (-s * (u - 10) + c * (v + 20)) / det;
      if (x < 1 || y < 1 || x > W - 2 || y > H - 2) continue; // the border is replicated, not a ramp
      assert.ok(Math.abs((out.data[(v * 112 + u) * 3] as number) - x) <= 1, `R at (${u}, ${v})`);
      assert.ok(Math.abs((out.data[(v * 112 + u) * 3 + 1] as number) - 2 * y) <= 1, `G at (${u}, ${v})`);
    }
  }
});
