/**
 * YuNet on real images (the file from the shared models folder; skipped, saying so, where it is absent): one centred
 * face with five ordered keypoints on LFW, a face filling the whole photo, the crowd photos against BlazeFace, small
 * faces of a composite frame, and the choice and fallback of `FaceDetector.create`.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { findDatasetsDir } from "@persona/runtime";
import { FaceDetector } from "./detector.ts";
import { ModelLoadError } from "./errors.ts";
import { decodeImage } from "./image.ts";
import { lfwCrowdFrame, matchFaces } from "./test-support/composite-frame.ts";
import { lfwFirstImages } from "./test-support/datasets.ts";
import type { Detection } from "./types.ts";
import { resolveYuNet, YUNET_FILE } from "./yunet.ts";

const root = findDatasetsDir();
const yunet = resolveYuNet();
const skip = yunet.path === null ? `YuNet unavailable: ${yunet.reason}` : root === null ? "shared datasets not found" : false;

let detector: FaceDetector;
let blaze: FaceDetector;
const tmp = mkdtempSync(join(tmpdir(), "yunet-test-"));
before(async () => {
  if (skip) return;
  detector = await FaceDetector.create({ detector: "yunet" });
  blaze = await FaceDetector.create({ detector: "blazeface" });
});
after(async () => {
  await detector?.dispose();
  await blaze?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

function assertOrderedFace(d: Detection, label: string): void {
  const k = d.keypoints;
  assert.ok(k.mouthRight && k.mouthLeft, `${label}: both mouth corners`);
  assert.ok(k.rightEye.x < k.noseTip.x && k.noseTip.x < k.leftEye.x, `${label}: right eye, nose, left eye from left to right`);
  assert.ok(k.mouthRight.x < k.mouthLeft.x, `${label}: the subject's right mouth corner on the image's left`);
  const eyeY = (k.rightEye.y + k.leftEye.y) / 2;
  assert.ok(eyeY < k.noseTip.y && k.noseTip.y < k.mouth.y, `${label}: eyes above the nose above the mouth`);
  for (const p of [k.rightEye, k.leftEye, k.noseTip, k.mouthRight, k.mouthLeft]) {
    assert.ok(
      p.x > d.box.x && p.x < d.box.x + d.box.width && p.y > d.box.y && p.y < d.box.y + d.box.height,
      `${label}: keypoints in the box`,
    );
  }
}

test("the default detector is YuNet when its file is present; `note` is null", { skip }, async () => {
  const d = await FaceDetector.create();
  try {
    assert.equal(d.kind, "yunet");
    assert.equal(d.note, null);
    assert.equal(d.defaults.scoreThreshold, 0.6);
  } finally {
    await d.dispose();
  }
});

test("without YuNet, auto falls back to BlazeFace and says why; yunet asked for by name is an error", { skip }, async () => {
  const empty = join(tmp, "empty");
  mkdirSync(empty);
  const d = await FaceDetector.create({ sharedModelsDir: empty });
  try {
    assert.equal(d.kind, "blazeface");
    assert.match(d.note ?? "", /YuNet not found at .*yunet_s_dynamic\.onnx.*using BlazeFace/);
  } finally {
    await d.dispose();
  }
  await assert.rejects(FaceDetector.create({ detector: "yunet", sharedModelsDir: empty }), ModelLoadError);
  // Another file under YuNet's name is refused by its sha256, never loaded.
  mkdirSync(join(tmp, "bad", "yunet"), { recursive: true });
  copyFileSync(yunet.path as string, join(tmp, "bad", YUNET_FILE));
  writeFileSync(join(tmp, "bad", YUNET_FILE), Buffer.from("not the model"), { flag: "a" });
  const bad = resolveYuNet(join(tmp, "bad"));
  assert.equal(bad.path, null);
  assert.match(bad.reason ?? "", /has sha256 [0-9a-f]{64}, expected daede240/);
  await assert.rejects(FaceDetector.create({ detector: "yunet", sharedModelsDir: join(tmp, "bad") }), /sha256/);
  await assert.rejects(FaceDetector.create({ detector: "nope" as "auto" }), /must be auto, yunet or blazeface/);
});

test("LFW: one centred face with five ordered keypoints on 30 photos", { skip }, async () => {
  for (const path of lfwFirstImages(root ?? "", 30, 300)) {
    const img = await decodeImage(path);
    const dets = await detector.detect(img);
    const centred = dets.filter((d) => Math.hypot(d.box.x + d.box.width / 2 - 125, d.box.y + d.box.height / 2 - 125) < 30);
    assert.equal(centred.length, 1, `${path}: ${centred.length} centred faces of ${dets.length}`);
    const d = centred[0] as Detection;
    assert.ok(d.score >= 0.6 && d.box.width > 60 && d.box.width < 160, `${path}: score ${d.score}, width ${d.box.width}`);
    assertOrderedFace(d, path);
  }
});

test("a face filling the whole photo (a tight passport-style crop) is found, at any resolution", { skip }, async () => {
  let found = 0;
  const paths = lfwFirstImages(root ?? "", 10, 500);
  for (const path of paths) {
    const [d] = await detector.detect(await decodeImage(path));
    assert.ok(d, `${path}: no face in the original`);
    // crop to the face box itself: nothing around the face is left
    const left = Math.max(0, Math.round(d.box.x));
    const top = Math.max(0, Math.round(d.box.y));
    const width = Math.min(250 - left, Math.round(d.box.width));
    const height = Math.min(250 - top, Math.round(d.box.height));
    for (const side of [width, 900]) {
      const { data, info } = await sharp(path)
        .extract({ left, top, width, height })
        .resize(side, Math.round((side * height) / width))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const faces = await detector.detect({ data: new Uint8Array(data), width: info.width, height: info.height });
      if (faces.length === 1 && (faces[0] as Detection).box.width > 0.6 * info.width) found++;
    }
  }
  assert.ok(found >= 19, `face filling the photo found in ${found}/20`);
});

test("crowd photos: YuNet finds at least 3x the faces of BlazeFace, in less time", { skip, timeout: 120_000 }, async () => {
  let y = 0;
  let b = 0;
  let yMs = 0;
  let bMs = 0;
  for (const f of readdirSync(join(root ?? "", "crowd")).filter((n) => n.endsWith(".jpg"))) {
    const img = await decodeImage(join(root ?? "", "crowd", f));
    const ry = await detector.detectDetailed(img, { minFaceSize: 12 });
    const rb = await blaze.detectDetailed(img);
    y += ry.detections.length;
    b += rb.detections.length;
    yMs += ry.timings.totalMs;
    bMs += rb.timings.totalMs;
    for (const d of ry.detections)
      assert.ok(d.score >= 0.6 && d.keypoints.rightEye.x < d.keypoints.leftEye.x + 2, `${f}: eye order`);
  }
  assert.ok(y >= 3 * b, `YuNet ${y} faces, BlazeFace ${b}`);
  assert.ok(y >= 1000, `YuNet found ${y} faces on the 23 crowd photos (1,257 when measured)`);
  // not a benchmark (make bench times it): a sanity check that the cheaper detector is not slower in aggregate
  assert.ok(yMs < 2 * bMs, `YuNet ${yMs.toFixed(0)} ms vs BlazeFace ${bMs.toFixed(0)} ms`);
});

test("1280x720 composite: 16 px faces and up with minFaceSize 16; a blank frame has none", {
  skip,
  timeout: 60_000,
}, async () => {
  const sizes = [
    110, 100, 95, 90, 85, 80, 75, 70, 65, 60, 56, 52, 48, 44, 40, 38, 36, 34, 32, 30, 30, 28, 24, 22, 20, 18, 16, 16,
  ];
  const { frame, faces } = await lfwCrowdFrame(root ?? "", sizes);
  const r = await detector.detectDetailed(frame, { minFaceSize: 16 });
  assert.equal(r.mode, "level");
  assert.deepEqual([r.level?.inputWidth, r.level?.inputHeight], [1280, 736]);
  const m = matchFaces(faces, r.detections);
  assert.ok(m.found >= 23, `found ${m.found}/${faces.length} (missed ${m.missed.map((f) => f.size.toFixed(0))})`);
  assert.ok(m.falsePositives <= 1, `${m.falsePositives} false positives`);
  const big = faces.filter((f) => f.size >= 36);
  assert.equal(matchFaces(big, r.detections).found, big.length, "every face of 36 px and more");
  // the camera's default (32 px faces): a 640x384 main pass
  const fast = await detector.detectDetailed(frame);
  assert.deepEqual([fast.level?.inputWidth, fast.level?.inputHeight], [640, 384]);
  const bigger = faces.filter((f) => f.size >= 40);
  assert.equal(matchFaces(bigger, fast.detections).found, bigger.length, "every face of 40 px and more at 32 px settings");
  assert.deepEqual(await detector.detect({ data: new Uint8Array(1280 * 720 * 3), width: 1280, height: 720 }), []);
});
