import assert from "node:assert/strict";
import { test } from "node:test";
import { downscaleBox, fillTensorRect, fillTensorWindow, resizeArea } from "./resample.ts";
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

test("downscaleBox(2) averages 2x2 blocks, including ragged edges", () => {
  const img = gradient(5, 3);
  const out = downscaleBox(img, 2);
  assert.equal(out.width, 3);
  assert.equal(out.height, 2);
  const at = (im: RgbImage, x: number, y: number, c: number) => im.data[(y * im.width + x) * 3 + c] as number;
  const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  for (let c = 0; c < 3; c++) {
    assert.equal(at(out, 0, 0, c), mean([at(img, 0, 0, c), at(img, 1, 0, c), at(img, 0, 1, c), at(img, 1, 1, c)]));
    assert.equal(at(out, 2, 0, c), mean([at(img, 4, 0, c), at(img, 4, 1, c)]));
    assert.equal(at(out, 2, 1, c), at(img, 4, 2, c));
    assert.equal(at(out, 1, 1, c), mean([at(img, 2, 2, c), at(img, 3, 2, c)]));
  }
});

test("downscaleBox(k) for k = 3 matches the block mean", () => {
  const img = gradient(9, 6);
  const out = downscaleBox(img, 3);
  let s = 0;
  for (let y = 3; y < 6; y++) for (let x = 3; x < 6; x++) s += img.data[(y * 9 + x) * 3 + 1] as number;
  assert.equal(out.data[(1 * 3 + 1) * 3 + 1], Math.round(s / 9));
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

test("fillTensorWindow normalises to [-1, 1] and pads outside the image", () => {
  const img: RgbImage = { data: new Uint8Array([0, 255, 127, 255, 0, 0]), width: 2, height: 1 };
  const out = new Float32Array(3 * 3 * 3);
  fillTensorWindow(img, -1, 0, 3, out, 0);
  // row 0: pad, px0, px1
  assert.deepEqual([...out.subarray(0, 3)], [0, 0, 0]);
  assert.equal(out[3], -1);
  assert.equal(out[4], 1);
  assert.ok(Math.abs((out[5] as number) - (127 / 127.5 - 1)) < 1e-6);
  assert.equal(out[6], 1);
  // rows 1-2 are below the image
  assert.ok(out.subarray(9).every((v) => v === 0));
});

test("fillTensorRect writes a w x h window, padding right and bottom", () => {
  const img: RgbImage = { data: new Uint8Array([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255]), width: 2, height: 2 };
  const out = new Float32Array(4 * 3 * 3).fill(9);
  fillTensorRect(img, 0, 0, 4, 3, out);
  const px = (x: number, y: number) => [...out.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
  assert.deepEqual(px(0, 0), [1, 1, 1]);
  assert.deepEqual(px(1, 0), [-1, -1, -1]);
  assert.deepEqual(px(0, 1), [1, -1, -1]);
  assert.deepEqual(px(1, 1), [-1, -1, 1]);
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
