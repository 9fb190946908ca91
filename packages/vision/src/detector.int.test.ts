/** BlazeFace detector on real images: LFW (one centred face), crowd photos, a composite frame, ORL. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FaceDetector } from "./detector.ts";
import { ModelLoadError } from "./errors.ts";
import { decodeImage } from "./image.ts";
import { composeFaceFrame, matchFaces } from "./test-support/composite-frame.ts";
import { blazefacePath, datasetsDir, lfwFirstImages } from "./test-support/datasets.ts";
import type { Detection } from "./types.ts";

const root = datasetsDir();
const model = blazefacePath();
const skip =
  model === null
    ? "BlazeFace model not found (models/dist or PERSONA_MODELS_DIR)"
    : root === null
      ? "shared datasets not found"
      : false;

/** LFW first images checked by eye to contain exactly one face. */
const SINGLE_FACE = [
  "AJ_Cook",
  "Abbas_Kiarostami",
  "Abdullah_Gul",
  "Adam_Ant",
  "Adriana_Perez_Navarro",
  "Aileen_Riggin_Soule",
  "Akiko_Morigami",
  "Alan_Ball",
  "Alan_Zemaitis",
  "Alexander_Lukashenko",
  "Alfredo_Moreno",
  "Ali_Khamenei",
  "Alina_Kabaeva",
  "Allen_Rock",
  "Alvaro_Uribe",
  "Amber_Tamblyn",
  "Amy_Gale",
  "Ana_Paula_Gerard",
  "Andy_Bryant",
  "Andy_Perez",
];

let detector: FaceDetector;
before(async () => {
  if (!skip) detector = await FaceDetector.create({ modelPath: model ?? undefined });
});
after(async () => {
  await detector?.dispose();
});

/** `frontal`: also require the nose between the eyes (false for the unselected LFW images, some near profile). */
function assertPlausibleLfwFace(d: Detection, name: string, frontal = true): void {
  const cx = d.box.x + d.box.width / 2;
  const cy = d.box.y + d.box.height / 2;
  assert.ok(Math.hypot(cx - 125, cy - 125) < 30, `${name}: box centre ${cx.toFixed(0)},${cy.toFixed(0)}`);
  assert.ok(d.box.width > 70 && d.box.width < 140, `${name}: box ${d.box.width.toFixed(0)} px`);
  const k = d.keypoints;
  // subject's right eye is on the image left
  assert.ok(k.rightEye.x < k.leftEye.x, `${name}: eye order`);
  if (frontal) assert.ok(k.rightEye.x < k.noseTip.x && k.noseTip.x < k.leftEye.x, `${name}: nose between the eyes`);
  assert.ok(Math.max(k.rightEye.y, k.leftEye.y) < k.noseTip.y && k.noseTip.y < k.mouth.y, `${name}: eyes above nose above mouth`);
  const eyes = Math.hypot(k.leftEye.x - k.rightEye.x, k.leftEye.y - k.rightEye.y);
  assert.ok(eyes > 22 && eyes < 65, `${name}: eye distance ${eyes.toFixed(1)}`);
  assert.ok(k.rightEye.y > 95 && k.rightEye.y < 130, `${name}: eye height ${k.rightEye.y.toFixed(0)}`);
}

test("missing model file is a ModelLoadError", async () => {
  await assert.rejects(FaceDetector.create({ modelPath: "/nonexistent/blazeface.onnx" }), ModelLoadError);
});

test("LFW: exactly one face, centred, with plausible keypoints, on 20 single-face images", { skip }, async () => {
  for (const name of SINGLE_FACE) {
    const img = await decodeImage(join(root ?? "", "lfw", name, `${name}_0001.jpg`));
    const dets = await detector.detect(img);
    assert.equal(dets.length, 1, `${name}: ${dets.length} faces`);
    assertPlausibleLfwFace(dets[0] as Detection, name);
    const d = dets[0] as Detection;
    assert.ok(d.score > 0.7, `${name}: score ${d.score}`);
    assert.ok(
      d.keypoints.rightEar.x < d.keypoints.rightEye.x && d.keypoints.leftEar.x > d.keypoints.leftEye.x,
      `${name}: ears outside the eyes`,
    );
  }
});

test("LFW: the centred face is found on 40 more images (background faces allowed)", { skip }, async () => {
  let found = 0;
  const files = lfwFirstImages(root ?? "", 40, 400);
  for (const f of files) {
    const dets = await detector.detect(await decodeImage(f));
    const centred = dets.filter((d) => Math.hypot(d.box.x + d.box.width / 2 - 125, d.box.y + d.box.height / 2 - 125) < 30);
    if (centred.length === 1) {
      found++;
      assertPlausibleLfwFace(centred[0] as Detection, f, false);
    }
  }
  assert.ok(found >= 38, `centred face found on ${found}/40`);
});

test("crowd photos: many faces", { skip }, async () => {
  for (const [file, min] of [
    ["retinaface_curve_test.jpg", 12],
    ["ulfd_imgs_10.jpg", 15],
    ["ulfd_imgs_11.jpg", 18],
    ["ulfd_imgs_17.jpg", 40],
    ["facenet_pytorch_multiface.jpg", 6],
  ] as const) {
    const img = await decodeImage(join(root ?? "", "crowd", file));
    const report = await detector.detectDetailed(img);
    assert.ok(report.detections.length >= min, `${file}: ${report.detections.length} faces, want >= ${min}`);
    assert.ok(report.plan !== null, `${file}: should be tiled at minFaceSize 32`);
    for (const d of report.detections) {
      assert.ok(d.box.width >= 0.8 * 32 && d.score >= 0.5);
      assert.ok(d.keypoints.rightEye.x < d.keypoints.leftEye.x + 2, `${file}: eye order`);
    }
  }
});

test("1280x720 composite of 22 LFW faces (28-110 px): tiling finds the small ones a whole-frame pass misses", {
  skip,
  timeout: 60_000,
}, async () => {
  const sizes = [110, 100, 95, 90, 85, 80, 75, 70, 65, 60, 56, 52, 48, 44, 40, 38, 36, 34, 32, 30, 30, 28];
  const { frame, faces } = await composeFaceFrame({
    width: 1280,
    height: 720,
    faceSizes: sizes,
    sources: lfwFirstImages(root ?? "", 40, 200),
    background: join(root ?? "", "crowd/ulfd_imgs_26.jpg"),
  });
  const tiled = await detector.detectDetailed(frame, { tiling: "on" });
  assert.equal(tiled.runs, 7);
  const mt = matchFaces(faces, tiled.detections);
  const big = faces.filter((f) => f.size >= 32);
  const mBig = matchFaces(big, tiled.detections);
  assert.ok(
    mBig.found >= big.length - 1,
    `tiled: ${mBig.found}/${big.length} faces >= 32 px (missed ${mBig.missed.map((f) => f.size.toFixed(0))})`,
  );
  assert.ok(mt.falsePositives <= 1, `tiled: ${mt.falsePositives} false positives`);
  const whole = await detector.detectDetailed(frame, { tiling: "off" });
  assert.equal(whole.runs, 1);
  const mw = matchFaces(faces, whole.detections);
  assert.ok(mw.found < mt.found, `whole frame ${mw.found} vs tiled ${mt.found}`);
  const auto = await detector.detectDetailed(frame);
  assert.equal(auto.runs, 7, "auto tiles a 1280x720 frame for 32 px faces");
  const fine = await detector.detectDetailed(frame, { minFaceSize: 24 });
  assert.ok(matchFaces(faces, fine.detections).found >= faces.length - 1, "24 px tiles find (nearly) all 22");
});

test("invalid options are RangeErrors", { skip }, async () => {
  const img = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64 };
  await assert.rejects(detector.detect(img, { scoreThreshold: 1.5 }), RangeError);
  await assert.rejects(detector.detect(img, { minFaceSize: 0 }), RangeError);
  await assert.rejects(detector.detect({ data: new Uint8Array(10), width: 64, height: 64 }), RangeError);
  assert.deepEqual(await detector.detect(img), []);
});

test("ORL 92x112 grayscale: one face", { skip }, async () => {
  let ok = 0;
  for (let s = 1; s <= 10; s++) {
    const img = await decodeImage(join(root ?? "", `orl/s${s}/1.png`));
    const dets = await detector.detect(img);
    if (dets.length === 1 && Math.abs((dets[0] as Detection).box.x + (dets[0] as Detection).box.width / 2 - 46) < 20) ok++;
  }
  assert.ok(ok >= 8, `ORL: one centred face on ${ok}/10`);
});
