/**
 * Vision benchmark: BlazeFace detection on a 1280x720 frame (tiled and whole frame), alignment and quality per face,
 * with 1 onnxruntime thread and with onnxruntime's default thread count.
 *
 *   node --import tsx packages/vision/bench/vision.bench.ts [iterations=30]
 *
 * The frame: 22 LFW faces of 28-110 px (known positions) on a blurred crowd photo, so recall is printed too.
 * Needs the BlazeFace model (models/dist or PERSONA_MODELS_DIR) and the shared data sets (PERSONA_DATASETS_DIR).
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { alignFace } from "../src/alignment.ts";
import { FaceDetector, type DetectOptions } from "../src/detector.ts";
import { decodeImage, encodeJpeg } from "../src/image.ts";
import { detectAndAlign } from "../src/pipeline.ts";
import { assessQuality } from "../src/quality.ts";
import { ARCFACE_112, DLIB_150 } from "../src/templates.ts";
import { composeFaceFrame, matchFaces } from "../src/test-support/composite-frame.ts";
import { blazefacePath, datasetsDir, lfwFirstImages } from "../src/test-support/datasets.ts";
import type { RgbImage } from "../src/types.ts";

const iterations = Number(process.argv[2] ?? 30);
const root = datasetsDir();
const model = blazefacePath();
if (!root || !model) {
  console.error(`missing ${!root ? "datasets (PERSONA_DATASETS_DIR)" : "BlazeFace model (models/dist or PERSONA_MODELS_DIR)"}`);
  process.exit(1);
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  return `median ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)}  min ${(s[0] as number).toFixed(2)}`;
}

async function timeAsync(n: number, f: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(5, n); i++) await f();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

function timeSync(n: number, f: () => unknown): number[] {
  for (let i = 0; i < Math.min(20, n); i++) f();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    out.push(performance.now() - t);
  }
  return out;
}

const sizes = [110, 100, 95, 90, 85, 80, 75, 70, 65, 60, 56, 52, 48, 44, 40, 38, 36, 34, 32, 30, 30, 28];
const { frame, faces } = await composeFaceFrame({
  width: 1280,
  height: 720,
  faceSizes: sizes,
  sources: lfwFirstImages(root, 40, 200),
  background: join(root, "crowd/ulfd_imgs_26.jpg"),
});
console.log(`frame 1280x720 with ${faces.length} faces of 28-110 px; ${cpus().length} CPUs; ${iterations} iterations\n`);

const jpeg = await encodeJpeg(frame, 90);
console.log(`decode 1280x720 JPEG (sharp)         ${stats(await timeAsync(iterations, () => decodeImage(jpeg)))}`);

for (const threads of [1, 0]) {
  const detector = await FaceDetector.create({ modelPath: model, intraOpNumThreads: threads });
  const label = threads === 1 ? "1 thread" : "ORT default threads";
  console.log(`\n== ${label} ==`);
  const configs: [string, DetectOptions][] = [
    ["whole frame (1 run)", { tiling: "off" }],
    ["tiled 512 px + whole (7 runs)", { tiling: "on" }],
    ["tiled 384 px, minFaceSize 24", { tiling: "on", minFaceSize: 24 }],
  ];
  for (const [name, opts] of configs) {
    const reports: { resampleMs: number; inferenceMs: number; runs: number }[] = [];
    let last = await detector.detectDetailed(frame, opts);
    const times = await timeAsync(iterations, async () => {
      last = await detector.detectDetailed(frame, opts);
      reports.push({ ...last.timings, runs: last.runs });
    });
    const m = matchFaces(faces, last.detections);
    const med = (k: "resampleMs" | "inferenceMs") =>
      [...reports.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(reports.length / 2)] as number;
    console.log(
      `detect ${name.padEnd(30)} ${stats(times)}  [resample ${med("resampleMs").toFixed(1)}, inference ${med("inferenceMs").toFixed(1)} ms / ${last.runs} runs]  found ${m.found}/${faces.length}, false ${m.falsePositives}`,
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
}
