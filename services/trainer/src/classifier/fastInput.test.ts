import assert from "node:assert/strict";
import { test } from "node:test";
import { FastInputError, fastClassifierInput, type RgbImage, resizeArea, toFastChip } from "@persona/vision";
import { CENTRE, chipToSample, sampleWindow } from "./sample.ts";

function chip(seed: number): RgbImage {
  let s = seed;
  const data = new Uint8Array(150 * 150 * 3);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    // a gradient plus noise, so every value and rounding case occurs
    data[i] = (Math.floor(i / 450) + (s >>> 24)) & 255;
  }
  return { width: 150, height: 150, data };
}

test("the recognizer's one-pass classifier input equals the trainer's sample -> centre window, bit for bit", () => {
  for (const seed of [1, 2, 3, 42, 1234567]) {
    const c = chip(seed);
    const expected = sampleWindow(chipToSample(c), CENTRE, CENTRE, false);
    assert.deepEqual(fastClassifierInput(c), expected, `seed ${seed}`);
  }
  // written at an offset of a batch buffer
  const batch = new Float32Array(3 * 1024);
  fastClassifierInput(chip(7), batch, 1024);
  assert.deepEqual(batch.subarray(1024, 2048), sampleWindow(chipToSample(chip(7))));
  assert.ok(batch.subarray(0, 1024).every((v) => v === 0));
});

test("a 112 px ArcFace chip goes through the same 150 px resampling on both sides, bit for bit", () => {
  const c = chip(9);
  const small = resizeArea(c, 112, 112);
  const expected = sampleWindow(chipToSample(small), CENTRE, CENTRE, false);
  assert.deepEqual(fastClassifierInput(small), expected);
  assert.deepEqual(fastClassifierInput(toFastChip(small)), expected);
  // the resampled chip looks like the original (the same face at the same place), not like noise
  const back = fastClassifierInput(c);
  let dot = 0;
  for (let i = 0; i < back.length; i++) dot += (back[i] as number) * (expected[i] as number);
  assert.ok(dot / back.length > 0.5, `correlation ${(dot / back.length).toFixed(3)}`);
});

test("a chip that is not square, too small or not its size in bytes is refused with a clear error", () => {
  assert.throws(() => fastClassifierInput({ width: 112, height: 100, data: new Uint8Array(112 * 100 * 3) }), FastInputError);
  assert.throws(() => fastClassifierInput({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) }), FastInputError);
  assert.throws(() => fastClassifierInput({ width: 150, height: 150, data: new Uint8Array(10) }), /150x150/);
});
