import assert from "node:assert/strict";
import { test } from "node:test";
import { SceneCutDetector, colorHistogram, histogramDistance } from "./sceneCut.ts";

const W = 320;
const H = 240;
/** A frame: a horizontal gradient of one hue plus a square of another colour at `x`. */
function picture(hue: [number, number, number], square: [number, number, number], x: number) {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let i = 0; i < W; i++) {
      const o = (y * W + i) * 3;
      const inSquare = i >= x && i < x + 60 && y >= 90 && y < 150;
      const c = inSquare ? square : hue;
      const k = 0.5 + (0.5 * i) / W;
      data[o] = Math.round(c[0] * k);
      data[o + 1] = Math.round(c[1] * k);
      data[o + 2] = Math.round(c[2] * k);
    }
  return { data, width: W, height: H };
}

test("colour histograms: each channel sums to 1; identical frames are 0 apart, frames with no colour in common 1", () => {
  const a = picture([200, 120, 80], [30, 30, 30], 40);
  const h = colorHistogram(a);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(h.subarray(c * 16, c * 16 + 16).reduce((s, v) => s + v, 0) - 1) < 1e-6);
  assert.equal(histogramDistance(h, colorHistogram(a)), 0);
  const black = { data: new Uint8Array(W * H * 3), width: W, height: H };
  const white = { data: new Uint8Array(W * H * 3).fill(255), width: W, height: H };
  assert.equal(histogramDistance(colorHistogram(black), colorHistogram(white)), 1);
});

test("a moving object is no cut; another picture is; the first frame and a reset never are", () => {
  const d = new SceneCutDetector(0.25);
  assert.equal(d.observe(picture([200, 120, 80], [30, 30, 30], 40)), false, "first frame");
  assert.equal(d.observe(picture([200, 120, 80], [30, 30, 30], 120)), false, "the square moved");
  assert.equal(d.observe(picture([60, 90, 200], [220, 220, 40], 120)), true, "another scene");
  assert.equal(d.observe(picture([60, 90, 200], [220, 220, 40], 130)), false);
  d.reset();
  assert.equal(d.observe(picture([200, 120, 80], [30, 30, 30], 40)), false, "after a reconnect");
  const off = new SceneCutDetector(0);
  off.observe(picture([200, 120, 80], [30, 30, 30], 40));
  assert.equal(off.observe(picture([60, 90, 200], [220, 220, 40], 120)), false, "0 turns it off");
  assert.throws(() => new SceneCutDetector(1.5), RangeError);
});
