import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeNetpbm, isNetpbm, readNetpbmHeader } from "./netpbm.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

test("P5 (binary PGM) with a comment decodes to gray RGB", () => {
  const bytes = cat(enc("P5\n# ORL style\n3 2\n255\n"), new Uint8Array([0, 10, 20, 30, 40, 255]));
  assert.ok(isNetpbm(bytes));
  const img = decodeNetpbm(bytes);
  assert.equal(img.width, 3);
  assert.equal(img.height, 2);
  assert.deepEqual([...img.data.subarray(0, 6)], [0, 0, 0, 10, 10, 10]);
  assert.deepEqual([...img.data.subarray(15, 18)], [255, 255, 255]);
});

test("P2 (ASCII PGM) with maxval 15 scales to 8 bits", () => {
  const img = decodeNetpbm(enc("P2 2 1 15\n0 15\n"));
  assert.deepEqual([...img.data], [0, 0, 0, 255, 255, 255]);
});

test("P6 with 16-bit samples", () => {
  const bytes = cat(enc("P6 1 1 65535\n"), new Uint8Array([0xff, 0xff, 0x80, 0x00, 0x00, 0x00]));
  assert.deepEqual([...decodeNetpbm(bytes).data], [255, 128, 0]);
});

test("truncated pixel data and malformed headers throw", () => {
  assert.throws(() => decodeNetpbm(cat(enc("P5 4 4 255\n"), new Uint8Array(5))), /truncated/);
  assert.throws(() => readNetpbmHeader(enc("P5 4\n")), /header/);
  assert.throws(() => readNetpbmHeader(enc("P5 0 4 255\n")), /size/);
  assert.equal(isNetpbm(enc("PNG")), false);
});
