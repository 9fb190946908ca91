import sharp from "sharp";
import { findDatasetsDir } from "@persona/runtime";
import { quantile, timeRuns } from "@persona/testing";
import { ARCFACE_112 } from "../src/templates.ts";
import { alignFace } from "../src/alignment.ts";
import { matOf, opencv } from "../src/cv.ts";
import { decodeImage } from "../src/image.ts";
import { encodeJpeg } from "../src/jpeg.ts";
import { fillBgrPlanar, fillTensorRect, resizeArea, resizeMat } from "../src/resample.ts";
import { laplacianVariance } from "../src/sharpness.ts";
import { lfwCrowdFrame } from "../src/test-support/composite-frame.ts";
import type { FaceKeypoints } from "../src/types.ts";

const iterations = Number(process.argv[2] ?? 200);
const root = findDatasetsDir();
if (!root) {
  console.error("missing the shared data sets (PERSONA_DATASETS)");
  process.exit(1);
}
const cv = opencv();
cv.setNumThreads(1);

function row(name: string, xs: number[]): void {
  const q = (p: number) => quantile(xs, p).toFixed(3);
  console.log(`${name.padEnd(52)} median ${q(0.5)} ms  p90 ${q(0.9)}`);
}

const time = (f: () => unknown) => timeRuns(Math.min(20, iterations), iterations, f);

const { frame, faces } = await lfwCrowdFrame(root, [110, 90, 70, 56, 44, 36, 30]);
console.log(`1280x720 frame, ${iterations} iterations, OpenCV ${cv.version.major}.${cv.version.minor} on 1 thread\n`);

console.log("resampling (detector inputs)");
row("resize 1280x720 -> 640x360 (INTER_AREA, Mat)", await time(() => resizeMat(frame, 640, 360)));
row("resize 1280x720 -> 960x540 (INTER_AREA, Mat)", await time(() => resizeMat(frame, 960, 540)));
row("resize 1280x720 -> 256x144 (INTER_AREA, Mat)", await time(() => resizeMat(frame, 256, 144)));
row("resize 1280x720 -> 640x360 into JS memory", await time(() => resizeArea(frame, 640, 360)));
const level = resizeMat(frame, 640, 360);
const nhwc = new Float32Array(640 * 384 * 3);
row("NHWC [-1,1] tensor 640x384 from a 640x360 level", await time(() => fillTensorRect(level, 0, 0, 640, 384, nhwc)));
const nchw = new Float32Array(3 * 640 * 384);
row("planar BGR tensor 640x384 from a 640x360 level", await time(() => fillBgrPlanar(level, 0, 12, 640, 384, nchw)));
const level960 = resizeMat(frame, 960, 540);
const nchw960 = new Float32Array(3 * 960 * 544);
row(
  "resize to 960x540 + planar BGR 960x544 (YuNet)",
  await time(() => fillBgrPlanar(resizeMat(frame, 960, 540), 0, 2, 960, 544, nchw960)),
);
row("planar BGR tensor 960x544 from a 960x540 level", await time(() => fillBgrPlanar(level960, 0, 2, 960, 544, nchw960)));

console.log("\nper face");
const face = faces[0];
if (!face) throw new Error("no face in the composite");
// a frontal face's keypoints from its placement (the alignment's cost does not depend on where exactly they are)
const kp = (x: number, y: number) => ({ x: face.cx + (x - 0.5) * face.size, y: face.cy + (y - 0.5) * face.size });
const keypoints: FaceKeypoints = {
  rightEye: kp(0.34, 0.4),
  leftEye: kp(0.66, 0.4),
  noseTip: kp(0.5, 0.58),
  mouth: kp(0.5, 0.75),
  mouthRight: kp(0.38, 0.75),
  mouthLeft: kp(0.62, 0.75),
};
row(`align ArcFace 112x112 (face ${face.size} px)`, await time(() => alignFace(frame, keypoints, ARCFACE_112)));
const chip = alignFace(frame, keypoints, ARCFACE_112).chip;
row("Laplacian variance, 112x112 chip", await time(() => laplacianVariance(chip)));

console.log("\nJPEG (the chips on the bus, the live view, uploads)");
const frameJpeg = await encodeJpeg(frame, 85);
const chipJpeg = await encodeJpeg(chip, 90);
const bgrFrame = matOf(frame).cvtColor(cv.COLOR_RGB2BGR);
const bgrChip = matOf(chip).cvtColor(cv.COLOR_RGB2BGR);
const q = (n: number) => [cv.IMWRITE_JPEG_QUALITY, n];
row("decode 1280x720 JPEG, sharp (async, thread pool)", await time(() => decodeImage(frameJpeg)));
row("decode 1280x720 JPEG, OpenCV imdecode + BGR->RGB", await time(() => cv.imdecode(frameJpeg).cvtColor(cv.COLOR_BGR2RGB)));
row("decode 112x112 JPEG, sharp (async, thread pool)", await time(() => decodeImage(chipJpeg)));
row("decode 112x112 JPEG, OpenCV imdecode + BGR->RGB", await time(() => cv.imdecode(chipJpeg).cvtColor(cv.COLOR_BGR2RGB)));
row("encode 1280x720 JPEG q85, sharp", await time(() => encodeJpeg(frame, 85)));
row(
  "encode 1280x720 JPEG q85, OpenCV (RGB->BGR + imencode)",
  await time(() => cv.imencode(".jpg", matOf(frame).cvtColor(cv.COLOR_RGB2BGR), q(85))),
);
row("encode 1280x720 JPEG q85, OpenCV imencode of BGR", await time(() => cv.imencode(".jpg", bgrFrame, q(85))));
row("encode 112x112 JPEG q90, sharp", await time(() => encodeJpeg(chip, 90)));
row(
  "encode 112x112 JPEG q90, OpenCV (RGB->BGR + imencode)",
  await time(() => cv.imencode(".jpg", matOf(chip).cvtColor(cv.COLOR_RGB2BGR), q(90))),
);
row("encode 112x112 JPEG q90, OpenCV imencode of BGR", await time(() => cv.imencode(".jpg", bgrChip, q(90))));
row(
  "sharp raw 1280x720 -> JPEG with resize to 640x360",
  await time(() =>
    sharp(frame.data, { raw: { width: 1280, height: 720, channels: 3 } })
      .resize(640, 360)
      .jpeg({ quality: 80 })
      .toBuffer(),
  ),
);
row(
  "OpenCV 1280x720 -> 640x360 + BGR + JPEG q80",
  await time(() => cv.imencode(".jpg", resizeMat(frame, 640, 360).cvtColor(cv.COLOR_RGB2BGR), q(80))),
);
