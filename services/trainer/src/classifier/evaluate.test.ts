import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ACCEPT_DEFAULTS, acceptModel, argmaxRows, validationMetrics } from "./evaluate.ts";

describe("validation metrics", () => {
  test("accuracy on known crops, rejection of unknown crops (by class or by low probability)", () => {
    const m = validationMetrics(
      [
        { personId: "a", p: 0.95 },
        { personId: "b", p: 0.99 }, // wrong and confident
        { personId: "a", p: 0.5 },
        { personId: null, p: 0.8 },
        { personId: "a", p: 0.6 }, // unknown crop, named but unsure -> rejected
        { personId: "b", p: 0.97 }, // unknown crop named confidently -> not rejected
      ],
      ["a", "a", "a", null, null, null],
      0.9,
    );
    assert.equal(m.validationAccuracy, 2 / 3);
    assert.equal(m.decidedShare, 1 / 3);
    assert.equal(m.wrongNamedShare, 1 / 3);
    assert.equal(m.unknownRejection, 2 / 3);
    assert.deepEqual(argmaxRows(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3]), 3), [
      { cls: 1, p: Float32Array.from([0.7])[0] },
      { cls: 0, p: 0.5 },
    ]);
  });
});

describe("acceptance: never worse than the current model", () => {
  const metrics = (acc: number, rej: number, diff = 1e-6) => ({
    validationAccuracy: acc,
    unknownRejection: rej,
    wrongNamedShare: 0,
    decidedShare: acc,
    knownCount: 100,
    unknownCount: 20,
    maxAbsDiffOnnx: diff,
  });
  test("a first model needs the floors", () => {
    assert.equal(acceptModel(metrics(0.9, 0.9), null).publish, true);
    assert.match(acceptModel(metrics(0.5, 0.9), null).reason, /accuracy/);
    assert.match(acceptModel(metrics(0.9, 0.2), null).reason, /unknown rejection/);
  });
  test("an export that onnxruntime does not reproduce is refused", () => {
    assert.match(acceptModel(metrics(0.99, 0.99, 0.01), null).reason, /onnxruntime/);
    assert.equal(acceptModel(metrics(0.99, 0.99, Number.NaN), null).publish, false);
  });
  test("worse accuracy or worse rejection than the current model on the same crops is refused; equal passes", () => {
    const cur = metrics(0.9, 0.8);
    assert.equal(acceptModel(metrics(0.89, 0.95), cur).publish, false);
    assert.equal(acceptModel(metrics(0.95, 0.79), cur).publish, false);
    assert.equal(acceptModel(metrics(0.9, 0.8), cur).publish, true);
    assert.equal(acceptModel(metrics(0.89, 0.8), cur, { ...ACCEPT_DEFAULTS, tolerance: 0.02 }).publish, true);
  });
});
