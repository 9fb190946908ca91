/**
 * The camera's chips are aligned the way the recognizers align enrollment photos: with landmarks on (the default,
 * ALIGN_LANDMARKS=auto) both use the 68-point landmark net, so a face enrolled from a photo and the same face seen by
 * a camera give the same chip. Real BlazeFace, landmark net and LFW photos.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { lfwPhoto, lfwSkipReason } from "@persona/testing";
import {
  FaceDetector,
  LandmarkDetector,
  MODEL_FILES,
  type RgbImage,
  decodeImage,
  detectAndAlign,
  embedderSpec,
  resolveModelPath,
} from "@persona/vision";
import { type AnalysisOptions, InlineAnalyzer } from "./analysis.ts";

const skip = lfwSkipReason(resolveModelPath(MODEL_FILES.blazefaceDynamic), resolveModelPath(MODEL_FILES.landmark68));
const template = embedderSpec("dlib-resnet29").template;
const options = (landmarks: boolean): AnalysisOptions => ({ detect: {}, template, landmarks });

let detector: FaceDetector;
let landmarks: LandmarkDetector;
before(async () => {
  if (skip) return;
  detector = await FaceDetector.create();
  landmarks = await LandmarkDetector.create();
});
after(async () => {
  await detector?.dispose();
  await landmarks?.dispose();
});

const same = (a: RgbImage, b: RgbImage) => a.width === b.width && Buffer.from(a.data).equals(Buffer.from(b.data));

test("with landmarks, a camera chip equals the enrollment chip of the same photo; without, the 4-keypoint chip", {
  skip,
}, async () => {
  const on = await InlineAnalyzer.create({}, options(true));
  const off = await InlineAnalyzer.create({}, options(false));
  try {
    for (const [person, n] of [
      ["Colin_Powell", 1],
      ["Angelina_Jolie", 2],
    ] as const) {
      const img = await decodeImage(lfwPhoto(person, n));
      const [camOn] = (await on.analyze(img)).faces;
      const [camOff] = (await off.analyze(img)).faces;
      assert.ok(camOn?.chip && camOff?.chip, `${person}: a published chip`);
      const [enrolled] = await detectAndAlign(img, { detector, template, landmarks });
      const [plain] = await detectAndAlign(img, { detector, template });
      assert.ok(enrolled && plain);
      assert.ok(same(camOn.chip, enrolled.chip), `${person}: camera and enrollment chips differ with landmarks`);
      assert.ok(same(camOff.chip, plain.chip), `${person}: camera and enrollment chips differ without landmarks`);
      assert.ok(!same(camOn.chip, camOff.chip), `${person}: landmarks changed nothing`);
      // and each chip says how it was aligned (published in FaceDetected for the recognizers to check)
      assert.deepEqual([camOn.alignment, camOff.alignment], ["landmarks68", "keypoints"]);
    }
  } finally {
    await on.close();
    await off.close();
  }
});
