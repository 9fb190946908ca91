import assert from "node:assert/strict";
import { test } from "node:test";
import { cosineSimilarity, dot, flipChip, fuseEmbeddings, l2NormalizeInPlace } from "./embedder-vectors.ts";

test("flipChip mirrors rows and keeps pixels intact", () => {
  // 3x2 image, pixel value = index
  const data = Uint8Array.from({ length: 18 }, (_, i) => i);
  const f = flipChip({ data, width: 3, height: 2 });
  assert.deepEqual([...f.data.subarray(0, 9)], [6, 7, 8, 3, 4, 5, 0, 1, 2]);
  assert.deepEqual([...f.data.subarray(9)], [15, 16, 17, 12, 13, 14, 9, 10, 11]);
  assert.deepEqual(flipChip(f).data, data);
});

test("l2NormalizeInPlace and dot", () => {
  const v = Float32Array.from([3, 4, 0, 0, 0]);
  assert.equal(l2NormalizeInPlace(v), true);
  assert.ok(Math.abs(dot(v, v) - 1) < 1e-6);
  assert.deepEqual(
    [...v].map((x) => x.toFixed(2)),
    ["0.60", "0.80", "0.00", "0.00", "0.00"],
  );
  const z = new Float32Array(3);
  assert.equal(l2NormalizeInPlace(z), false);
  assert.equal(l2NormalizeInPlace(Float32Array.from([Number.NaN, 1])), false);
  assert.throws(() => dot(new Float32Array(2), new Float32Array(3)), RangeError);
});

test("fuseEmbeddings averages directions, not magnitudes", () => {
  const a = Float32Array.from([10, 0]);
  const b = Float32Array.from([0, 1]);
  const f = fuseEmbeddings(a, b);
  assert.ok(Math.abs((f[0] as number) - Math.SQRT1_2) < 1e-6 && Math.abs((f[1] as number) - Math.SQRT1_2) < 1e-6);
  assert.throws(() => fuseEmbeddings(Float32Array.from([1, 0]), Float32Array.from([-1, 0])), RangeError);
  assert.ok(Math.abs(cosineSimilarity(a, Float32Array.from([5, 5])) - Math.SQRT1_2) < 1e-6);
  assert.equal(cosineSimilarity(new Float32Array(2), a), 0);
});
