import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "./random.ts";

test("seededRandom: mulberry32, the same sequence for the same seed (also a negative one), in [0, 1)", () => {
  const r = seededRandom(1);
  assert.deepEqual([r(), r(), r()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  const n = seededRandom(-5);
  assert.deepEqual([n(), n(), n()], [0.48384718922898173, 0.05296749505214393, 0.9390332337934524]);
  const a = seededRandom(42);
  const b = seededRandom(42);
  for (let i = 0; i < 1000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
});
