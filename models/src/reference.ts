/**
 * Reference outputs from the original frameworks, for checking the converted models:
 * - dlib ResNet-29: @vladmandic/face-api's own FaceRecognitionNet (TensorFlow.js 4.22, wasm backend), loaded from
 *   the weight manifest extracted by the build; the 68-point landmark net likewise (FaceLandmark68Net);
 * - faceres / faceres-deep / mobileface: TensorFlow.js 4.22 `loadGraphModel` on the extracted model.json + shards.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import * as faceapi from "@vladmandic/face-api/dist/face-api.node-wasm.js";
import type { TfGraphModelJson } from "./tfjs-graph.ts";

let ready: Promise<void> | undefined;

/** Selects TensorFlow.js's wasm backend (the pure-JS CPU backend is ~100x slower). */
export function initTfjs(): Promise<void> {
  ready ??= (async () => {
    if (!(await tf.setBackend("wasm"))) throw new Error("TensorFlow.js wasm backend did not initialise");
    await tf.ready();
  })();
  return ready;
}

export interface ReferenceModel {
  /** Runs one NHWC float32 image ([1,H,W,3]) and returns the named outputs' values. */
  run(input: Float32Array, size: number): Promise<Record<string, Float32Array>>;
  dispose(): void;
}

/** A face-api network made by `makeNet` and loaded from `modelDir` (tfjs ready first); `run` answers with it. */
async function faceApiReference<N extends { loadFromDisk(dir: string): Promise<void>; dispose(): void }>(
  makeNet: () => N,
  modelDir: string,
  run: (net: N, input: Float32Array, size: number) => Promise<Record<string, Float32Array>>,
): Promise<ReferenceModel> {
  await initTfjs();
  const net = makeNet();
  await net.loadFromDisk(modelDir);
  return { run: (input, size) => run(net, input, size), dispose: () => net.dispose() };
}

/** face-api's FaceRecognitionNet loaded from `modelDir` (holding face_recognition_model-weights_manifest.json). */
export function faceApiRecognition(modelDir: string): Promise<ReferenceModel> {
  return faceApiReference(
    () => new faceapi.FaceRecognitionNet(),
    modelDir,
    async (net, input, size) => {
      const t = tf.tensor3d(input, [size, size, 3]);
      try {
        const d = await net.computeFaceDescriptor(t as unknown as faceapi.TNetInput);
        if (Array.isArray(d)) throw new Error("face-api returned a batch for a single input");
        return { embedding: Float32Array.from(d) };
      } finally {
        t.dispose();
      }
    },
  );
}

/** face-api's FaceLandmark68Net loaded from `modelDir` (holding face_landmark_68_model-weights_manifest.json): its raw
 * network output (136 values, fractions of the 112x112 input), before face-api's un-padding. */
export function faceApiLandmarks(modelDir: string): Promise<ReferenceModel> {
  return faceApiReference(
    () => new faceapi.FaceLandmark68Net(),
    modelDir,
    async (net, input, size) => {
      const t = tf.tensor4d(input, [1, size, size, 3]);
      try {
        const out = net.runNet(await faceapi.toNetInput(t as unknown as faceapi.TNetInput));
        try {
          return { landmarks: Float32Array.from(await out.data()) };
        } finally {
          out.dispose();
        }
      } finally {
        t.dispose();
      }
    },
  );
}

/** A TensorFlow.js graph model from `jsonPath` (+ its shards), with TF output names mapped to our output names. */
export async function tfjsGraphModel(
  jsonPath: string,
  outputs: readonly { tf: string; onnx: string }[],
): Promise<ReferenceModel> {
  await initTfjs();
  const dir = join(jsonPath, "..");
  const json = JSON.parse(await readFile(jsonPath, "utf8")) as TfGraphModelJson & { signature?: object };
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFile(join(dir, p)))));
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  const model = await tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData,
      format: json.format,
      signature: json.signature,
    }),
  });
  return {
    async run(input, size) {
      const x = tf.tensor4d(input, [1, size, size, 3]);
      const raw = model.execute(
        x,
        outputs.map((o) => o.tf),
      );
      const list = Array.isArray(raw) ? raw : [raw];
      try {
        const values = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
        const out: Record<string, Float32Array> = {};
        outputs.forEach((o, i) => {
          const v = values[i];
          if (!v) throw new Error(`tfjs gave no value for ${o.tf}`);
          out[o.onnx] = v;
        });
        return out;
      } finally {
        x.dispose();
        for (const t of list) t.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
