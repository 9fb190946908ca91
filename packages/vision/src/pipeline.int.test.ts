/** detectAndAlign end to end on LFW photos. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { findDatasetsDir } from "@persona/runtime";
import { FaceDetector } from "./detector.ts";
import { decodeImage } from "./image.ts";
import { detectAndAlign } from "./pipeline.ts";
import { DLIB_150 } from "./templates.ts";
import { blazefacePath, blazefaceSkipReason, lfwFirstImages } from "./test-support/datasets.ts";

const root = findDatasetsDir();
const model = blazefacePath();
const skip = blazefaceSkipReason(root);

let detector: FaceDetector;
before(async () => {
  if (!skip) detector = await FaceDetector.create({ modelPath: model ?? undefined });
});
after(async () => {
  await detector?.dispose();
});

test("LFW faces: 112x112 chips, quality in [0, 1], most pass the default gate", { skip }, async () => {
  let passed = 0;
  const files = lfwFirstImages(root ?? "", 20, 600);
  for (const f of files) {
    const faces = await detectAndAlign(await decodeImage(f), { detector });
    assert.ok(faces.length >= 1, f);
    const face = faces[0];
    assert.ok(face);
    assert.equal(face.chip.width, 112);
    assert.equal(face.chip.height, 112);
    assert.equal(face.chip.data.length, 112 * 112 * 3);
    assert.ok(face.quality.score >= 0 && face.quality.score <= 1);
    assert.ok(face.quality.eyeDistance > 20);
    if (face.gate.pass) passed++;
  }
  assert.ok(passed >= 16, `${passed}/20 passed the gate`);
});

test("a blurred photo has lower sharpness and quality than the original", { skip }, async () => {
  const file = join(root ?? "", "lfw/AJ_Cook/AJ_Cook_0001.jpg");
  const sharpFace = (await detectAndAlign(await decodeImage(file), { detector }))[0];
  const blurred = await decodeImage(await sharp(file).blur(3).jpeg({ quality: 95 }).toBuffer());
  const blurFace = (await detectAndAlign(blurred, { detector }))[0];
  assert.ok(sharpFace && blurFace);
  assert.ok(
    blurFace.quality.sharpness < sharpFace.quality.sharpness / 3,
    `${blurFace.quality.sharpness} vs ${sharpFace.quality.sharpness}`,
  );
  assert.ok(blurFace.quality.score < sharpFace.quality.score);
});

test("dlib 150 template and onlyPassing", { skip }, async () => {
  const img = await decodeImage(join(root ?? "", "crowd/ulfd_imgs_17.jpg"));
  const all = await detectAndAlign(img, { detector, template: DLIB_150 });
  assert.ok(all.length > 20);
  for (const f of all) assert.equal(f.chip.width * f.chip.height * 3, f.chip.data.length);
  assert.equal(all[0]?.template, DLIB_150.name);
  const passing = await detectAndAlign(img, { detector, template: DLIB_150, onlyPassing: true, gate: { minEyeDistance: 20 } });
  assert.ok(passing.length < all.length && passing.every((f) => f.gate.pass && f.quality.eyeDistance >= 20));
});
