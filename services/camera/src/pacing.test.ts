import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffDelay } from "./pacing.ts";

describe("backoffDelay", () => {
  const noJitter = { jitter: 0 };
  test("doubles from the initial delay up to the cap", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, { initialMs: 1000, maxMs: 30_000, ...noJitter })),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
  });

  test("jitter spreads the delay within +-jitter and never beyond the cap", () => {
    assert.equal(
      backoffDelay(1, { initialMs: 1000, jitter: 0.2 }, () => 0),
      800,
    );
    assert.equal(
      backoffDelay(1, { initialMs: 1000, jitter: 0.2 }, () => 0.9999999),
      1200,
    );
    assert.equal(
      backoffDelay(10, { initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 0.9999999),
      5000,
    );
  });
});
