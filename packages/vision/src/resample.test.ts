import assert from "node:assert/strict";
import { test } from "node:test";
import { fillTensorRect, fillTensorWindow, resizeArea } from "./resample.ts";
import { rampImage } from "./test-support/ramp.ts";
import type { RgbImage } from "./types.ts";

function gradient(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = (x * 7) & 255;
      data[i + 1] = (y * 5) & 255;
      data[i + 2] = (x + y) & 255;
    }
  }
  return { data, width: w, height: h };
}

test("resizeArea with a whole factor averages the blocks (INTER_AREA)", () => {
  const img = gradient(9, 6);
  const out = resizeArea(img, 3, 2);
  let s = 0;
  for (let y = 3; y < 6; y++) for (let x = 3; x < 6; x++) s += img.data[(y * 9 + x) * 3 + 1] as number;
  assert.ok(Math.abs((out.data[(1 * 3 + 1) * 3 + 1] as number) - s / 9) <= 0.5);
});

test("resizeArea keeps a constant image constant at any scale", () => {
  const w = 131;
  const h = 77;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = 200;
    data[i + 1] = 17;
    data[i + 2] = 99;
  }
  for (const [dw, dh] of [
    [64, 38],
    [87, 51],
    [26, 15],
    [200, 120],
  ] as const) {
    const out = resizeArea({ data, width: w, height: h }, dw, dh);
    assert.equal(out.width, dw);
    assert.equal(out.height, dh);
    for (let i = 0; i < out.data.length; i += 3) {
      assert.ok(Math.abs((out.data[i] as number) - 200) <= 1);
      assert.ok(Math.abs((out.data[i + 1] as number) - 17) <= 1);
      assert.ok(Math.abs((out.data[i + 2] as number) - 99) <= 1);
    }
  }
});

test("resizeArea preserves the mean of a gradient (area averaging)", () => {
  const img = gradient(120, 90);
  const out = resizeArea(img, 80, 60); // scale 1.5
  const mean = (im: RgbImage, c: number) => {
    let s = 0;
    for (let i = c; i < im.data.length; i += 3) s += im.data[i] as number;
    return s / (im.width * im.height);
  };
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(mean(out, c) - mean(img, c)) < 1.5, `channel ${c}`);
});

/** Tensor values are float32 arithmetic of v / 127.5 - 1: equal to the exact value within a few ulps. */
function near(actual: ArrayLike<number>, expected: readonly number[], what = ""): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) < 1e-6, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test("fillTensorWindow normalises to [-1, 1] and pads outside the image", () => {
  const img: RgbImage = { data: new Uint8Array([0, 255, 127, 255, 0, 0]), width: 2, height: 1 };
  const out = new Float32Array(3 * 3 * 3);
  fillTensorWindow(img, -1, 0, 3, out, 0);
  // row 0: pad, px0, px1
  assert.deepEqual([...out.subarray(0, 3)], [0, 0, 0]);
  near(out.subarray(3, 9), [-1, 1, 127 / 127.5 - 1, 1, -1, -1]);
  // rows 1-2 are below the image
  assert.ok(out.subarray(9).every((v) => v === 0));
});

test("fillTensorRect writes a w x h window, padding right and bottom", () => {
  const img: RgbImage = { data: new Uint8Array([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255]), width: 2, height: 2 };
  const out = new Float32Array(4 * 3 * 3).fill(9);
  fillTensorRect(img, 0, 0, 4, 3, out);
  const px = (x: number, y: number) => [...out.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
  near(px(0, 0), [1, 1, 1]);
  near(px(1, 0), [-1, -1, -1]);
  near(px(0, 1), [1, -1, -1]);
  near(px(1, 1), [-1, -1, 1]);
  for (const [x, y] of [
    [2, 0],
    [3, 0],
    [2, 1],
    [3, 1],
    [0, 2],
    [3, 2],
  ] as const)
    assert.deepEqual(px(x, y), [0, 0, 0]);
  // a window left of the image is all padding
  fillTensorRect(img, -5, 0, 4, 3, out);
  assert.ok(out.every((v) => v === 0));
});

test("resizeMat keeps the geometry at every kind of scale: a linear ramp reads back at each output pixel's source centre", () => {
  // R = 2x, G = 3y: any filter that averages a linear ramp returns the ramp at the output pixel's centre, so this
  // checks the mapping (u + 0.5) * W / w - 0.5 of INTER_AREA, the whole-block + warp path and bilinear alike
  const W = 120;
  const H = 80;
  const img = rampImage(W, H, 2, 3);
  for (const [w, h] of [
    [60, 40], // 2x: INTER_AREA's integer path
    [36, 24], // 3.33x: 3x blocks, then the exact-geometry warp
    [50, 34], // 2.4x / 2.35x: 2x blocks, then the warp
    [96, 64], // 1.25x: bilinear
    [240, 160], // enlarging: bilinear
  ] as const) {
    const out = resizeArea(img, w, h);
    for (let v = 3; v < h - 3; v++) {
      for (let u = 3; u < w - 3; u++) {
        const ex = 2 * ((u + 0.5) * (W / w) - 0.5);
        const ey = 3 * ((v + 0.5) * (H / h) - 0.5);
        const r = out.data[(v * w + u) * 3] as number;
        const g = out.data[(v * w + u) * 3 + 1] as number;
        assert.ok(Math.abs(r - ex) <= 1, `${w}x${h} at (${u}, ${v}): R ${r}, expected ${ex.toFixed(2)}`);
        assert.ok(Math.abs(g - ey) <= 1.5, `${w}x${h} at (${u}, ${v}): G ${g}, expected ${ey.toFixed(2)}`);
      }
    }
  }
});
