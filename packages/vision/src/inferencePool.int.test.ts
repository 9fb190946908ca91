/**
 * The inference pool: a detector whose model runs on worker threads finds exactly what the same detector finds with
 * a local session, under concurrent calls, while the pixel work stays on this thread (the OpenCV binding is loaded
 * here and nowhere else: a second thread loading it would crash the process).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { findDatasetsDir } from "@persona/runtime";
import { FaceDetector } from "./detector.ts";
import { ModelLoadError } from "./errors.ts";
import { decodeImage } from "./image.ts";
import { InferencePool } from "./inferencePool.ts";
import { MODEL_FILES, resolveModelPath } from "./models.ts";
import { lfwCrowdFrame } from "./test-support/composite-frame.ts";
import { blazefaceSkipReason, lfwFirstImages } from "./test-support/datasets.ts";
import type { Detection } from "./types.ts";
import { resolveYuNet } from "./yunet.ts";

const root = findDatasetsDir();
const skip = blazefaceSkipReason(root);

function same(a: readonly Detection[], b: readonly Detection[], what: string): void {
  assert.equal(a.length, b.length, `${what}: face count`);
  for (const [i, d] of a.entries()) {
    const e = b[i] as Detection;
    // the same graph on the same inputs in another thread of this process: the same kernels, equal to float noise
    for (const k of ["x", "y", "width", "height"] as const) assert.ok(Math.abs(d.box[k] - e.box[k]) < 1e-3, `${what}: box ${k}`);
    assert.ok(Math.abs(d.score - e.score) < 1e-5, `${what}: score`);
  }
}

test("detectors on a 2-thread pool find what local sessions find, 8 frames at once", { skip }, async (t) => {
  const pool = await InferencePool.create(2);
  t.after(() => pool.close());
  const { frame } = await lfwCrowdFrame(root as string, [100, 70, 50, 36]);
  const kinds = resolveYuNet().path ? (["blazeface", "yunet"] as const) : (["blazeface"] as const);
  for (const detector of kinds) {
    const local = await FaceDetector.create({ detector });
    const remote = await FaceDetector.create({ detector, host: pool });
    t.after(async () => {
      await local.dispose();
      await remote.dispose();
    });
    const expected = await local.detect(frame, { tiling: "auto" });
    assert.ok(expected.length >= 3, `${detector}: the composite's faces are found`);
    const got = await Promise.all(Array.from({ length: 8 }, () => remote.detect(frame, { tiling: "auto" })));
    for (const [i, g] of got.entries()) same(g, expected, `${detector} call ${i}`);
  }
  const lfw = await decodeImage(lfwFirstImages(root as string, 1, 200)[0] as string);
  const remote = await FaceDetector.create({ detector: "blazeface", host: pool });
  t.after(() => remote.dispose());
  assert.equal((await remote.detect(lfw)).length >= 1, true);
});

test("a missing model is a ModelLoadError from the pool as from a local session", async (t) => {
  const pool = await InferencePool.create(1);
  t.after(() => pool.close());
  const path = resolveModelPath(`no-such-${MODEL_FILES.blazeface}`);
  await assert.rejects(FaceDetector.create({ modelPath: path, host: pool }), ModelLoadError);
  await assert.rejects(FaceDetector.create({ modelPath: path }), ModelLoadError);
});
