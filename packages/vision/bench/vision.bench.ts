/**
 * Vision benchmark: BlazeFace detection on a 1280x720 frame (whole frame, tiled with the fixed 256 model, level mode
 * with the size-agnostic model) and YuNet's (when its file is present), alignment and quality per face, the crowd
 * photos' face counts of both detectors (overlays in artifacts/bench/crowd/), with 1 onnxruntime thread and with onnxruntime's
 * default thread count. The modes run interleaved (one call of each in turn) so a loaded machine slows them alike.
 *
 *   node --import tsx packages/vision/bench/vision.bench.ts [iterations=30]
 *
 * The frame: 22 LFW faces of 28-110 px (known positions) on a blurred crowd photo, so recall is printed too.
 * Needs the BlazeFace model (models/dist or PERSONA_MODELS_DIR) and the shared data sets (PERSONA_DATASETS).
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { alignFace } from "../src/alignment.ts";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { findDatasetsDir } from "@persona/runtime";
import { quantile, timeRuns, timeRunsSync } from "@persona/testing";
import type { DetectionReport, DetectOptions } from "../src/detect-options.ts";
import { FaceDetector } from "../src/detector.ts";
import { decodeImage } from "../src/image.ts";
import { encodeJpeg } from "../src/jpeg.ts";
import { alignFace68, LandmarkDetector } from "../src/landmarks.ts";
import { detectAndAlign } from "../src/pipeline.ts";
import { assessQuality } from "../src/quality.ts";
import { ARCFACE_112, DLIB_150 } from "../src/templates.ts";
import { lfwCrowdFrame, matchFaces } from "../src/test-support/composite-frame.ts";
import { MODEL_FILES, resolveModelPath } from "../src/models.ts";
import { resolveYuNet } from "../src/yunet.ts";
import { drawDetections } from "../src/draw.ts";
import { blazefacePath } from "../src/test-support/datasets.ts";
import type { RgbImage } from "../src/types.ts";

const iterations = Number(process.argv[2] ?? 30);
const root = findDatasetsDir();
const model = blazefacePath();
const dynModel = resolveModelPath(MODEL_FILES.blazefaceDynamic);
if (!root || !model || !existsSync(dynModel)) {
  console.error(`missing ${!root ? "datasets (PERSONA_DATASETS)" : "BlazeFace models (make models, or PERSONA_MODELS_DIR)"}`);
  process.exit(1);
}

function stats(xs: number[]): string {
  const q = (p: number) => quantile(xs, p).toFixed(2);
  return `median ${q(0.5)} ms  p90 ${q(0.9)}  min ${q(0)}`;
}

const timeAsync = (n: number, f: () => Promise<unknown>) => timeRuns(Math.min(5, n), n, f);
const timeSync = (n: number, f: () => unknown) => timeRunsSync(Math.min(20, n), n, f);

const sizes = [110, 100, 95, 90, 85, 80, 75, 70, 65, 60, 56, 52, 48, 44, 40, 38, 36, 34, 32, 30, 30, 28];
const { frame, faces } = await lfwCrowdFrame(root, sizes);
console.log(`frame 1280x720 with ${faces.length} faces of 28-110 px; ${cpus().length} CPUs; ${iterations} iterations\n`);

const jpeg = await encodeJpeg(frame, 90);
console.log(`decode 1280x720 JPEG (sharp)         ${stats(await timeAsync(iterations, () => decodeImage(jpeg)))}`);

for (const threads of [1, 0]) {
  const detector = await FaceDetector.create({ modelPath: model, intraOpNumThreads: threads });
  const dynDetector = await FaceDetector.create({ modelPath: dynModel, intraOpNumThreads: threads });
  const label = threads === 1 ? "1 thread" : "ORT default threads";
  console.log(`\n== ${label} ==`);
  const yunet = resolveYuNet().path ? await FaceDetector.create({ detector: "yunet", intraOpNumThreads: threads }) : null;
  const configs: [string, FaceDetector, DetectOptions][] = [
    ["whole frame (1 run)", detector, { tiling: "off" }],
    ["tiled 512 px + whole (7 runs)", detector, { tiling: "on" }],
    ["level 640x384 + whole (2 runs)", dynDetector, { tiling: "level" }],
    ["tiled 384 px, minFaceSize 24", detector, { tiling: "on", minFaceSize: 24 }],
    ["level, minFaceSize 24", dynDetector, { tiling: "level", minFaceSize: 24 }],
    ...(yunet
      ? ([
          ["YuNet 640x384 + large (min 32)", yunet, {}],
          ["YuNet 1280x736 + large (min 16)", yunet, { minFaceSize: 16 }],
          ["YuNet 960x544 + large (min 32, 24 px)", yunet, { modelMinFacePx: 24 }],
        ] as [string, FaceDetector, DetectOptions][])
      : []),
  ];
  if (!yunet) console.log(`(YuNet rows skipped: ${resolveYuNet().reason})`);
  const times = configs.map(() => [] as number[]);
  const reports = configs.map(() => [] as DetectionReport[]);
  for (let i = -Math.min(5, iterations); i < iterations; i++) {
    for (const [k, [, det, opts]] of configs.entries()) {
      const t = performance.now();
      const r = await det.detectDetailed(frame, opts);
      if (i < 0) continue; // warm-up
      times[k]?.push(performance.now() - t);
      reports[k]?.push(r);
    }
  }
  for (const [k, [name]] of configs.entries()) {
    const rs = reports[k] as DetectionReport[];
    const last = rs[rs.length - 1] as DetectionReport;
    const m = matchFaces(faces, last.detections);
    const med = (key: "resampleMs" | "inferenceMs") =>
      [...rs.map((r) => r.timings[key])].sort((a, b) => a - b)[Math.floor(rs.length / 2)] as number;
    console.log(
      `detect ${name.padEnd(31)} ${stats(times[k] as number[])}  [resample ${med("resampleMs").toFixed(1)}, inference ${med("inferenceMs").toFixed(1)} ms / ${last.runs} runs]  found ${m.found}/${faces.length}, false ${m.falsePositives}`,
    );
  }
  if (threads === 1) {
    const dets = await detector.detect(frame, { tiling: "on" });
    const perFace = (f: (img: RgbImage) => void) => timeSync(iterations, () => f(frame)).map((t) => t / dets.length);
    console.log(`\nper face (${dets.length} faces, pure TS, main thread):`);
    console.log(
      `align ArcFace 112x112               ${stats(
        perFace((img) => {
          for (const d of dets) alignFace(img, d.keypoints, ARCFACE_112);
        }),
      )}`,
    );
    console.log(
      `align dlib 150x150                  ${stats(
        perFace((img) => {
          for (const d of dets) alignFace(img, d.keypoints, DLIB_150);
        }),
      )}`,
    );
    const landmarks = await LandmarkDetector.create({ intraOpNumThreads: 1 });
    const lmTimes: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      const points = await landmarks.detect(
        frame,
        dets.map((d) => d.keypoints),
      );
      for (const [k, p] of points.entries()) if (dets[k]) alignFace68(frame, p, DLIB_150);
      lmTimes.push((performance.now() - t) / dets.length);
    }
    await landmarks.dispose();
    console.log(`landmarks 68 + align dlib 150x150   ${stats(lmTimes)}  (1 onnxruntime thread, batches of 8)`);
    console.log(
      `quality (incl. its 112 chip)        ${stats(
        perFace((img) => {
          for (const d of dets) assessQuality(img, d);
        }),
      )}`,
    );
    console.log(
      `detectAndAlign frame (tiled, 112)   ${stats(await timeAsync(iterations, () => detectAndAlign(frame, { detector, detect: { tiling: "on" } })))}`,
    );
  }
  await detector.dispose();
  await dynDetector.dispose();
  await yunet?.dispose();
}

// The crowd photos: faces found by YuNet (min face 12 px) beside BlazeFace (its default, 32 px, level mode), with
// overlays of both to check by eye in artifacts/bench/crowd/ (YuNet's name.yunet.jpg, BlazeFace's name.blazeface.jpg).
if (resolveYuNet().path) {
  const out = join(fileURLToPath(new URL("../../../artifacts/bench/crowd/", import.meta.url)));
  mkdirSync(out, { recursive: true });
  const y = await FaceDetector.create({ detector: "yunet", intraOpNumThreads: 1 });
  const b = await FaceDetector.create({ detector: "blazeface", intraOpNumThreads: 1 });
  console.log("\ncrowd photos (1 thread)             YuNet min 12 px        BlazeFace default");
  let ty = 0;
  let tb = 0;
  for (const f of readdirSync(join(root, "crowd"))
    .filter((n) => n.endsWith(".jpg"))
    .sort()) {
    const img = await decodeImage(join(root, "crowd", f));
    const ry = await y.detectDetailed(img, { minFaceSize: 12 });
    const rb = await b.detectDetailed(img);
    ty += ry.detections.length;
    tb += rb.detections.length;
    await writeFile(join(out, f.replace(/\.jpg$/, ".yunet.jpg")), await encodeJpeg(drawDetections(img, ry.detections), 85));
    await writeFile(join(out, f.replace(/\.jpg$/, ".blazeface.jpg")), await encodeJpeg(drawDetections(img, rb.detections), 85));
    console.log(
      `  ${f.padEnd(30)} ${`${img.width}x${img.height}`.padEnd(10)} ${String(ry.detections.length).padStart(4)} in ${ry.timings.totalMs.toFixed(0).padStart(4)} ms   ${String(rb.detections.length).padStart(4)} in ${rb.timings.totalMs.toFixed(0).padStart(4)} ms`,
    );
  }
  console.log(`  total                                      ${String(ty).padStart(4)}                ${String(tb).padStart(4)}`);
  console.log(`  overlays: ${out}`);
  await y.dispose();
  await b.dispose();
}
