import assert from "node:assert/strict";
import { test } from "node:test";
import { ARCFACE_112, DLIB_150 } from "@persona/vision";
import { EvaluationError } from "./errors.ts";
import { parseTemplateSpec } from "./template-spec.ts";

test("template specs", () => {
  assert.equal(parseTemplateSpec("model", DLIB_150), DLIB_150);
  assert.equal(parseTemplateSpec("arcface:112", DLIB_150), ARCFACE_112);
  const a = parseTemplateSpec("arcface:224:0.1", DLIB_150);
  assert.equal(a.width, 224);
  // margin shrinks the face about the centre
  const e224 = (ARCFACE_112.points.rightEye?.x ?? 0) * 2 + 0.5;
  assert.ok((a.points.rightEye?.x ?? 0) > e224);
  const d = parseTemplateSpec("dlib:150:0.25", ARCFACE_112);
  assert.deepEqual(d.points, DLIB_150.points);
  const w = parseTemplateSpec("dlib:150:0.25:w1,1,0,2", ARCFACE_112);
  assert.deepEqual(Object.keys(w.points).sort(), ["leftEye", "mouth", "rightEye"]);
  assert.equal(w.weights?.mouth, 2);
  for (const bad of ["foo:112", "arcface:x", "dlib:150:0.25:w1,1", "arcface:112:w0,0,1,1"]) {
    assert.throws(() => parseTemplateSpec(bad, DLIB_150), EvaluationError, bad);
  }
});
