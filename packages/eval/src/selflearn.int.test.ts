import assert from "node:assert/strict";
import { test } from "node:test";
import { lfwDir, lfwSkipReason, tempDir } from "@persona/testing";
import { resolveModelPath } from "@persona/vision";
import { evalSelfLearn, selfLearnSummary } from "./selflearn.ts";

const lfw = lfwDir();
const missing = lfwSkipReason(resolveModelPath("dlib-resnet29.onnx"));

test("selflearn replay on a few LFW people: growth adds templates, never to a wrong person; reruns use the cache", {
  skip: missing,
}, async (t) => {
  const cacheDir = tempDir(t, "selflearn-cache-");
  const opts = { dataDir: lfw, maxPeople: 6, impostorPeople: 12, seed: 7, cacheDir, workers: 0, fastPath: false };
  const r = await evalSelfLearn(opts);
  assert.equal(r.kind, "selflearn");
  assert.equal(r.enrolledPeople, 6);
  assert.equal(r.impostorPeople, 12);
  assert.ok(r.tracks.enrolled > 20 && r.tracks.impostor > 5, JSON.stringify(r.tracks));
  assert.equal(r.off.growth.added, 0);
  assert.equal(r.off.templatesAtEnd, 6);
  assert.ok(r.on.growth.added > 0, "self-learning added templates");
  assert.equal(r.on.growth.wrongPerson, 0, "no template of a wrong person");
  assert.equal(r.on.misidentified, 0);
  assert.ok(r.on.shotRecall >= r.off.shotRecall, `shot recall ${r.off.shotRecall} -> ${r.on.shotRecall}`);
  assert.equal(r.on.curve.length, 10);
  assert.ok(r.on.clusters.purity >= 0.95, `cluster purity ${r.on.clusters.purity}`);
  assert.match(selfLearnSummary(r), /0 to a wrong person/);
  assert.match(selfLearnSummary(r), /fast path: not measured/);
  assert.ok(r.timing.computedImages > 0);
  // the same run again: every embedding comes from the cache, the numbers are the same
  const again = await evalSelfLearn(opts);
  assert.equal(again.timing.computedImages, 0);
  assert.deepEqual(again.on.curve, r.on.curve);
  assert.equal(again.on.growth.added, r.on.growth.added);
});
