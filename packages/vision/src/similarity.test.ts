import assert from "node:assert/strict";
import { test } from "node:test";
import { affineScale, applyAffine, estimateSimilarity, invertAffine, type Affine } from "./similarity.ts";

const near = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

test("recovers an exact similarity (rotation 30 deg, scale 1.7, shift)", () => {
  const th = Math.PI / 6;
  const s = 1.7;
  const m: Affine = [s * Math.cos(th), -s * Math.sin(th), 12, s * Math.sin(th), s * Math.cos(th), -7];
  const src = [
    { x: 10, y: 20 },
    { x: 40, y: 22 },
    { x: 25, y: 35 },
    { x: 26, y: 50 },
  ];
  const dst = src.map((p) => applyAffine(m, p));
  const e = estimateSimilarity(src, dst);
  e.forEach((v, i) => {
    near(v, m[i] as number);
  });
  near(affineScale(e), s);
});

test("least squares: symmetric noise averages out; weights pull the fit", () => {
  const src = [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
  ];
  const e = estimateSimilarity(src, src);
  near(e[0], 1);
  near(e[3], 0);
  // two points, one weighted 0: the fit maps the other exactly, scale from the mean-centred pair is undefined -> use 3
  const src3 = [...src, { x: 5, y: 10 }];
  const dst3 = [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
    { x: 5, y: 12 },
  ];
  const heavy = estimateSimilarity(src3, dst3, [100, 100, 1]);
  const p = applyAffine(heavy, { x: 10, y: 0 });
  assert.ok(Math.abs(p.x - 10) < 0.1 && Math.abs(p.y) < 0.1);
});

test("no reflection even when the target is mirrored", () => {
  const src = [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
    { x: 0, y: 10 },
  ];
  const mirrored = src.map((p) => ({ x: -p.x, y: p.y }));
  const e = estimateSimilarity(src, mirrored);
  // determinant of the linear part stays positive
  assert.ok(e[0] * e[4] - e[1] * e[3] >= 0);
});

test("invertAffine and errors", () => {
  const m: Affine = [2, -1, 3, 1, 2, -4];
  const inv = invertAffine(m);
  const p = applyAffine(inv, applyAffine(m, { x: 3.5, y: -2 }));
  near(p.x, 3.5);
  near(p.y, -2);
  assert.throws(() => estimateSimilarity([{ x: 1, y: 1 }], [{ x: 1, y: 1 }]), RangeError);
  assert.throws(
    () =>
      estimateSimilarity(
        [
          { x: 1, y: 1 },
          { x: 1, y: 1 },
        ],
        [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
      ),
    /coincident/,
  );
});
