import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "@persona/runtime";
import { AlignmentWatch } from "./alignmentWatch.ts";

test("alignment watch: chips aligned otherwise are counted per camera, with one warning per camera", () => {
  const warnings: unknown[] = [];
  const log = createLogger("alignment-test", "silent");
  log.warn = ((obj: unknown) => {
    warnings.push(obj);
  }) as typeof log.warn;
  const w = new AlignmentWatch("landmarks68", log);
  w.observe("gate", "landmarks68");
  w.observe("gate", undefined); // a camera from before the field: not counted
  assert.deepEqual(w.mismatched, {});
  w.observe("gate", "keypoints");
  w.observe("gate", "keypoints");
  w.observe("hall", "keypoints");
  assert.deepEqual(w.mismatched, { gate: { alignment: "keypoints", chips: 2 }, hall: { alignment: "keypoints", chips: 1 } });
  assert.deepEqual(warnings, [
    { cameraId: "gate", camera: "keypoints", recognizer: "landmarks68" },
    { cameraId: "hall", camera: "keypoints", recognizer: "landmarks68" },
  ]);
});

test("alignment watch: a camera fitting BlazeFace's four keypoints is told apart from a recognizer fitting YuNet's five", () => {
  const warnings: string[] = [];
  const log = createLogger("alignment-test", "silent");
  log.warn = ((_: unknown, msg: string) => {
    warnings.push(msg);
  }) as typeof log.warn;
  const w = new AlignmentWatch("keypoints5", log);
  w.observe("gate", "keypoints5");
  assert.deepEqual(w.mismatched, {});
  w.observe("hall", "keypoints");
  assert.deepEqual(w.mismatched, { hall: { alignment: "keypoints", chips: 1 } });
  assert.match(warnings[0] ?? "", /four keypoints .* YuNet's five keypoints.*PERSONA_SHARED_MODELS_DIR/);
});
