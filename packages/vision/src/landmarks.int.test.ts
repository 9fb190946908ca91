/** The 68-point landmark net on LFW photos and alignment from its points (dlib's way). */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { findDatasetsDir } from "@persona/runtime";
import { alignFace } from "./alignment.ts";
import { FaceDetector } from "./detector.ts";
import { Embedder } from "./embedder.ts";
import { decodeImage } from "./image.ts";
import { alignFace68, alignmentTransform68, LandmarkDetector } from "./landmarks.ts";
import { MODEL_FILES, resolveModelPath } from "./models.ts";
import { applyAffine } from "./similarity.ts";
import { ARCFACE_112, dlibTemplate } from "./templates.ts";
import { blazefacePath, lfwFirstImages } from "./test-support/datasets.ts";
import type { Point } from "./types.ts";

const root = findDatasetsDir();
const models = [MODEL_FILES.landmark68, MODEL_FILES.dlibResnet].map((f) => resolveModelPath(f));
const skip =
  blazefacePath() === null || models.some((m) => !existsSync(m))
    ? "models not built (node --import tsx models/build.ts)"
    : root === null
      ? "shared datasets not found"
      : false;

let detector: FaceDetector;
let landmarks: LandmarkDetector;
before(async () => {
  if (skip) return;
  detector = await FaceDetector.create({ modelPath: blazefacePath() ?? undefined });
  landmarks = await LandmarkDetector.create();
});
after(async () => {
  await detector?.dispose();
  await landmarks?.dispose();
});

const mean = (pts: readonly Point[], from: number, to: number): Point => {
  const s = pts.slice(from, to + 1);
  return { x: s.reduce((a, p) => a + p.x, 0) / s.length, y: s.reduce((a, p) => a + p.y, 0) / s.length };
};

test("LFW faces: 68 points whose eyes and mouth agree with BlazeFace's keypoints; a batch equals single runs", {
  skip,
}, async () => {
  const files = lfwFirstImages(root ?? "", 12, 900);
  const errors: number[] = [];
  for (const f of files) {
    const img = await decodeImage(f);
    const [d] = await detector.detect(img);
    assert.ok(d, `${f}: no face`);
    const kp = d.keypoints;
    const [pts] = await landmarks.detect(img, [kp]);
    assert.ok(pts);
    assert.equal(pts.length, 68);
    const iod = Math.hypot(kp.leftEye.x - kp.rightEye.x, kp.leftEye.y - kp.rightEye.y);
    const re = mean(pts, 36, 41);
    const le = mean(pts, 42, 47);
    const mouth = mean(pts, 48, 67);
    const err = Math.max(
      Math.hypot(re.x - kp.rightEye.x, re.y - kp.rightEye.y),
      Math.hypot(le.x - kp.leftEye.x, le.y - kp.leftEye.y),
      Math.hypot(mouth.x - kp.mouth.x, mouth.y - kp.mouth.y),
    );
    errors.push(err / iod);
    assert.ok(err < 0.35 * iod, `${f}: landmarks ${(err / iod).toFixed(2)} inter-eye distances from BlazeFace's keypoints`);
    // the same face twice in one batch gives the same points as alone
    const both = await landmarks.detect(img, [kp, kp]);
    assert.deepEqual(both[0], pts);
    assert.deepEqual(both[1], pts);
  }
  errors.sort((a, b) => a - b);
  assert.ok((errors[Math.floor(errors.length / 2)] as number) < 0.15, `median disagreement ${errors[6]}`);
});

test("alignFace68: the landmarks land on dlib's mean face, and the chip embeds like the 4-keypoint chip", { skip }, async () => {
  const embedder = await Embedder.create({ model: "dlib-resnet29" });
  try {
    const template = dlibTemplate(150, 0.25);
    const [f] = lfwFirstImages(root ?? "", 1, 0);
    const img = await decodeImage(f as string);
    const [d] = await detector.detect(img);
    assert.ok(d);
    const [pts] = await landmarks.detect(img, [d.keypoints]);
    assert.ok(pts);
    const { transform, residual } = alignmentTransform68(pts, template);
    assert.ok(residual < 6, `51-point fit residual ${residual.toFixed(2)} chip px`);
    // the fitted eyes sit within a few chip pixels of the template's eyes
    const eye = applyAffine(transform, { x: mean(pts, 36, 41).x - 0.5, y: mean(pts, 36, 41).y - 0.5 });
    const want = template.points.rightEye as Point;
    assert.ok(Math.hypot(eye.x - want.x, eye.y - want.y) < 6, `right eye at ${eye.x.toFixed(1)},${eye.y.toFixed(1)}`);
    const a = alignFace68(img, pts, template);
    assert.equal(a.chip.width, 150);
    const b = alignFace(img, d.keypoints, template);
    const [ea, eb] = await embedder.embed([a.chip, b.chip]);
    let cos = 0;
    for (let i = 0; i < 128; i++) cos += (ea?.[i] as number) * (eb?.[i] as number);
    assert.ok(cos > 0.95, `same face, two alignments: cosine ${cos.toFixed(3)}`);
  } finally {
    await embedder.dispose();
  }
});

test("alignFace68 refuses templates without 68-point targets and point lists of the wrong length", { skip }, () => {
  const pts = Array.from({ length: 68 }, (_, i) => ({ x: i, y: (i * 7) % 13 }));
  assert.throws(() => alignmentTransform68(pts, ARCFACE_112), /no 68-point targets/);
  assert.throws(() => alignmentTransform68(pts.slice(5), dlibTemplate()), /expected 68 landmarks/);
});
