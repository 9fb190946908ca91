import assert from "node:assert/strict";
import { test } from "node:test";
import type { AlignedDetection } from "@persona/vision";
import { PhotoRejected, pickEnrollmentFace } from "./enrollment.ts";

const face = (x: number, y: number, size: number, pass = true) =>
  ({
    box: { x, y, width: size, height: size },
    gate: { pass, reason: pass ? null : "too small" },
  }) as unknown as AlignedDetection;

/** A 1000x800 photo: faces below sit inside it unless a test puts them on the edge. */
const PHOTO = { width: 1000, height: 800 };

const rejected = (reason: string) => (e: unknown) => e instanceof PhotoRejected && e.reason === reason;

test("enrollment: the photo's one face is taken", () => {
  const main = face(100, 100, 200);
  assert.deepEqual(pickEnrollmentFace([main], PHOTO, 0.4), { face: main, faces: 1, why: "only" });
});

test("enrollment: a small background face is ignored; the reply says the largest of two was taken", () => {
  const main = face(100, 100, 200);
  assert.deepEqual(pickEnrollmentFace([face(500, 20, 60), main], PHOTO, 0.4), { face: main, faces: 2, why: "largest" });
});

test("enrollment: two separate passing faces of similar size are refused as several faces", () => {
  assert.throws(() => pickEnrollmentFace([face(0, 0, 200), face(300, 0, 180)], PHOTO, 0.4), rejected("several-faces"));
});

test("enrollment: a face of similar size that fails the quality gate (cut off at the edge, blurred) does not make the photo ambiguous", () => {
  const main = face(100, 100, 200);
  assert.deepEqual(pickEnrollmentFace([main, face(400, 0, 190, false)], PHOTO, 0.4), { face: main, faces: 2, why: "largest" });
  // the largest face fails the gate, a smaller one passes: the only passing face is taken
  const sharp = face(300, 50, 120);
  assert.deepEqual(pickEnrollmentFace([face(0, 0, 220, false), sharp], PHOTO, 0.4), {
    face: sharp,
    faces: 2,
    why: "only-passing",
  });
});

test("enrollment: the same face detected twice (overlapping boxes, as on a tight face chip) is one face", () => {
  const main = face(10, 10, 130);
  assert.equal(pickEnrollmentFace([main, face(20, 15, 110)], PHOTO, 0.4).face, main);
});

test("enrollment: no face and faces all under the quality gate are refused with their reasons", () => {
  assert.throws(() => pickEnrollmentFace([], PHOTO, 0.4), rejected("no-face"));
  assert.throws(() => pickEnrollmentFace([face(0, 0, 40, false)], PHOTO, 0.4), rejected("low-quality"));
  assert.throws(
    () => pickEnrollmentFace([face(0, 0, 40, false), face(100, 0, 30, false)], PHOTO, 0.4),
    (e: unknown) => rejected("low-quality")(e) && /nor are the 1 other faces/.test((e as Error).message),
  );
});

test("enrollment: a face cut off by the photo's edge is neither taken nor a rival", () => {
  const main = face(400, 300, 200);
  assert.deepEqual(pickEnrollmentFace([main, face(-60, 300, 190)], PHOTO, 0.4), { face: main, faces: 2, why: "largest" });
  assert.throws(
    () => pickEnrollmentFace([face(900, 300, 220)], PHOTO, 0.4),
    (e: unknown) => rejected("low-quality")(e) && /cut off by the photo's edge/.test((e as Error).message),
  );
});

test("enrollment: of faces of similar size, the one covering the photo's centre is the subject; none or two there is ambiguous", () => {
  const centre = face(420, 320, 200);
  assert.deepEqual(pickEnrollmentFace([centre, face(700, 320, 180)], PHOTO, 0.4), { face: centre, faces: 2, why: "centred" });
  // a smaller face at the centre is still the subject when the larger one is beside it
  assert.equal(pickEnrollmentFace([face(700, 300, 200), face(430, 330, 170)], PHOTO, 0.4).why, "centred");
  assert.throws(
    () => pickEnrollmentFace([face(100, 100, 200), face(600, 100, 190)], PHOTO, 0.4),
    (e: unknown) => rejected("several-faces")(e) && /none of them alone at its centre/.test((e as Error).message),
  );
  // a crowd: the small face that happens to sit at the centre is nobody's portrait
  const crowd = [face(490, 390, 40), ...Array.from({ length: 12 }, (_, i) => face(40 + 70 * i, 100, 38))];
  assert.throws(() => pickEnrollmentFace(crowd, PHOTO, 0.4), rejected("several-faces"));
  // ... nor is the one face of a crowd that happens to pass the quality gate
  const sharpest = [face(300, 300, 40), ...Array.from({ length: 12 }, (_, i) => face(40 + 70 * i, 100, 42, false))];
  assert.throws(() => pickEnrollmentFace(sharpest, PHOTO, 0.4), rejected("several-faces"));
});
