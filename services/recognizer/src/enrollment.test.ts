import assert from "node:assert/strict";
import { test } from "node:test";
import type { AlignedDetection } from "@persona/vision";
import { PhotoRejected, pickEnrollmentFace } from "./enrollment.ts";

const face = (x: number, y: number, size: number, pass = true) =>
  ({
    box: { x, y, width: size, height: size },
    gate: { pass, reason: pass ? null : "too small" },
  }) as unknown as AlignedDetection;

test("enrollment: one face is picked; a small background face is ignored", () => {
  const main = face(100, 100, 200);
  assert.equal(pickEnrollmentFace([face(500, 20, 60), main], 0.4), main);
});

test("enrollment: two separate faces of similar size are refused as several faces", () => {
  assert.throws(
    () => pickEnrollmentFace([face(0, 0, 200), face(300, 0, 180)], 0.4),
    (e: unknown) => e instanceof PhotoRejected && e.reason === "several-faces",
  );
});

test("enrollment: the same face detected twice (overlapping boxes, as on a tight face chip) is one face", () => {
  const main = face(10, 10, 130);
  assert.equal(pickEnrollmentFace([main, face(20, 15, 110)], 0.4), main);
});

test("enrollment: no face and a face under the quality gate are refused with their reasons", () => {
  assert.throws(
    () => pickEnrollmentFace([], 0.4),
    (e: unknown) => e instanceof PhotoRejected && e.reason === "no-face",
  );
  assert.throws(
    () => pickEnrollmentFace([face(0, 0, 40, false)], 0.4),
    (e: unknown) => e instanceof PhotoRejected && e.reason === "low-quality",
  );
});
