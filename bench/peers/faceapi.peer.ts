/**
 * Peer runner: @vladmandic/face-api on tfjs's wasm backend (SIMD, one thread in Node), models loaded from the npm
 * package's own `model/` folder. Run by peers.bench.ts (`node --import tsx faceapi.peer.ts '<PeerJob JSON>'`); writes a
 * PeerReport to job.out.
 *
 * face-api's Node entry (`dist/face-api.node.js`) needs @tensorflow/tfjs-node, which cannot install offline, so its
 * `dist/face-api.node-wasm.js` build is loaded by path (it requires @tensorflow/tfjs + @tensorflow/tfjs-backend-wasm).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { decodeImage, type RgbImage } from "@persona/vision";
import {
  type DetectorRow,
  detectorCounts,
  type EmbedRow,
  lfwVerification,
  medianMs,
  NODE_MODULES,
  peerRunner,
  tfjsBackend,
} from "./common.ts";

type FaceApi = typeof import("@vladmandic/face-api");

const { job, report, fail } = peerRunner("face-api", "@vladmandic/face-api");

try {
  const require = createRequire(import.meta.url);
  const faceapi = require(join(NODE_MODULES, "@vladmandic/face-api/dist/face-api.node-wasm.js")) as FaceApi;
  // the same module instances face-api's build required (its bundled typings leave out the backend calls)
  const tfjs = require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs");
  const tf = faceapi.tf;
  await tfjs.setBackend("wasm");
  await tfjs.ready();
  const modelDir = join(NODE_MODULES, "@vladmandic/face-api/model");
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);

  const toTensor = (img: RgbImage) => tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], "int32");
  const frames = await Promise.all(job.frames.map((f) => decodeImage(f)));

  const detectors: [
    string,
    () => InstanceType<FaceApi["SsdMobilenetv1Options"]> | InstanceType<FaceApi["TinyFaceDetectorOptions"]>,
  ][] = [
    [
      "SSD MobileNetV1 (512 input, minConfidence 0.5)",
      () => new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }),
    ],
    [
      "TinyFaceDetector (416 input, score 0.5)",
      () => new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }),
    ],
  ];
  const detectorRows: DetectorRow[] = [];
  for (const [model, options] of detectors) {
    const counts = await detectorCounts(job, frames, toTensor, async (t) => (await faceapi.detectAllFaces(t, options())).length);
    detectorRows.push({ lib: "face-api", model, ...counts });
  }

  // Embedding cost: the recognition net (dlib ResNet-29 port) on one 150x150 face; the 68-landmark net that aligns it
  // runs first on every face (timed apart).
  const chipSource = toTensor(frames[0] as RgbImage);
  const chip150 = tf.tidy(() => tf.image.resizeBilinear(chipSource, [150, 150]));
  const chip112 = tf.tidy(() => tf.image.resizeBilinear(chipSource, [112, 112]));
  chipSource.dispose();
  const embedMs = await medianMs(3, 15, async () => {
    await faceapi.computeFaceDescriptor(chip150);
  });
  const landmarkMs = await medianMs(3, 15, async () => {
    await faceapi.detectFaceLandmarks(chip112);
  });
  chip150.dispose();
  chip112.dispose();

  // LFW: SSD -> 68 landmarks -> descriptor for every face (face-api's usual call), the face nearest the centre taken;
  // score = -euclidean distance (face-api's metric).
  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });
  const lfw = await lfwVerification(
    job,
    async (img) => {
      const t = toTensor(img);
      const t0 = performance.now();
      const faces = await faceapi.detectAllFaces(t, ssd).withFaceLandmarks().withFaceDescriptors();
      const ms = performance.now() - t0;
      t.dispose();
      return { ms, faces: faces.map((r) => ({ box: r.detection.box, embedding: r.descriptor })) };
    },
    (a, b) => faceapi.euclideanDistance(a, b),
  );
  const embedRows: EmbedRow[] = [
    {
      lib: "face-api",
      model: "SSD + landmark68 + ResNet-29 (euclidean)",
      dims: 128,
      embedMs,
      embedNote: `ResNet-29 on a 150x150 chip, 1 run; + ${landmarkMs.toFixed(1)} ms 68-landmark net`,
      ...lfw,
      note: "LFW: every face of an image is embedded (detectAllFaces().withFaceLandmarks().withFaceDescriptors(), SSD at its default minConfidence 0.5); the central one is used",
    },
  ];
  report({
    backend: await tfjsBackend(tfjs),
    detectors: detectorRows,
    embedders: embedRows,
  });
} catch (e) {
  fail("tfjs wasm", e);
}
