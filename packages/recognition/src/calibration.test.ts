/**
 * The committed threshold calibration (@persona/vision/calibration, written by packages/eval/bin/calibrate.ts) must
 * describe what the recognizers run: the default model and mode, and each model's tuned thresholds as they are now.
 * A retuned threshold without a new calibration fails here.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_EMBEDDER_MODEL, embedderSpec } from "@persona/vision";
import { CALIBRATION_INFO, calibratedModes, calibrationOf, ratesAt } from "@persona/vision/calibration";
import { VOTE_DEFAULTS } from "./voteOptions.ts";

test("the calibration covers the recognizers' default model and mode, at today's tuned thresholds", () => {
  assert.deepEqual(CALIBRATION_INFO.recognizerDefault, {
    model: DEFAULT_EMBEDDER_MODEL,
    mode: VOTE_DEFAULTS.flip ? "flip" : "single",
  });
  assert.ok(calibrationOf(DEFAULT_EMBEDDER_MODEL, VOTE_DEFAULTS.flip ? "flip" : "single"), "the default is calibrated");
  for (const { model, mode, calibration } of calibratedModes()) {
    const tuned = embedderSpec(model).thresholds[mode]?.openSet;
    assert.equal(calibration.tuned, tuned?.threshold, `${model} ${mode}: calibrated at the tuned threshold`);
    assert.equal(calibration.minMargin, tuned?.minMargin, `${model} ${mode}: with the tuned margin`);
    assert.ok(
      calibration.points.some((p) => p.threshold === calibration.tuned),
      `${model} ${mode}: the tuned value is a point`,
    );
  }
});

test("rates between two measured thresholds are interpolated; outside the range they are unknown", () => {
  const c = {
    minMargin: 0,
    tuned: 0.5,
    points: [
      { threshold: 0.4, dir: 0.98, wrong: 0.01, fpir: 0.05 },
      { threshold: 0.5, dir: 0.96, wrong: 0.005, fpir: 0.01 },
    ],
  };
  assert.deepEqual(ratesAt(c, 0.5), { dir: 0.96, wrong: 0.005, fpir: 0.01 });
  const mid = ratesAt(c, 0.45);
  assert.ok(mid && Math.abs(mid.fpir - 0.03) < 1e-12 && Math.abs(mid.dir - 0.97) < 1e-12);
  assert.equal(ratesAt(c, 0.39), null);
  assert.equal(ratesAt(c, 0.51), null);
});
