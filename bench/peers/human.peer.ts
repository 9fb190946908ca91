/**
 * Peer runner: @vladmandic/human on tfjs's wasm backend (SIMD, one thread in Node), with the models its npm package
 * ships in `models/` (blazeface = MediaPipe BlazeFace back-camera 256, facemesh, faceres). Run by peers.bench.ts
 * (`node --import tsx human.peer.ts '<PeerJob JSON>'`); writes a PeerReport to job.out.
 *
 * Two things stand between Human and Node without @tensorflow/tfjs-node (which cannot install offline):
 * - its package `exports` send Node to `dist/human.node.js` (tfjs-node), so `dist/human.node-wasm.js` is loaded by path;
 * - that build loads `file://` model URLs with `fetch`, which Node does not implement for file URLs, so a tfjs IO
 *   router reading model.json + weights from disk is registered first.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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

type HumanModule = typeof import("@vladmandic/human");
type Tfjs = typeof import("@tensorflow/tfjs-core");
type ModelArtifacts = import("@tensorflow/tfjs-core").io.ModelArtifacts;

const { job, report, fail } = peerRunner("human", "@vladmandic/human");

/** A tfjs load handler for a `file://` model.json (graph model, weights beside it). */
function fileModel(url: string): { load: () => Promise<ModelArtifacts> } {
  return {
    load: async () => {
      const file = fileURLToPath(url);
      const json = JSON.parse(readFileSync(file, "utf8")) as ModelArtifacts & {
        weightsManifest: { paths: string[]; weights: NonNullable<ModelArtifacts["weightSpecs"]> }[];
      };
      const bufs: Buffer[] = [];
      const weightSpecs: NonNullable<ModelArtifacts["weightSpecs"]> = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) bufs.push(readFileSync(join(dirname(file), p)));
      }
      const all = Buffer.concat(bufs);
      const { weightsManifest: _, ...rest } = json;
      return { ...rest, weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
    },
  };
}

try {
  const require = createRequire(import.meta.url);
  const { Human } = require(join(NODE_MODULES, "@vladmandic/human/dist/human.node-wasm.js")) as HumanModule;
  const tfjs = require("@tensorflow/tfjs-core") as Tfjs; // the instance Human's build required
  // a router answers null for URLs it does not handle (as tfjs's own do; the typing says IOHandler)
  tfjs.io.registerLoadRouter(
    (u) =>
      (typeof u === "string" && u.startsWith("file://") ? fileModel(u) : null) as import("@tensorflow/tfjs-core").io.IOHandler,
  );

  const human = new Human({
    backend: "wasm",
    wasmPath: `${join(NODE_MODULES, "@tensorflow/tfjs-backend-wasm/dist")}/`,
    modelBasePath: pathToFileURL(join(NODE_MODULES, "@vladmandic/human/models/")).href,
    debug: false,
    async: false,
    warmup: "none",
    cacheSensitivity: 0, // every call is a new image: no frame cache, no skipped models
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: {
      enabled: true,
      detector: { maxDetected: 100, skipFrames: 0, skipTime: 0, rotation: true },
      mesh: { enabled: true },
      iris: { enabled: false },
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      attention: { enabled: false },
    },
  });
  await human.load();
  const missing = ["blazeface", "facemesh", "faceres"].filter((m) => !human.models.models[m]);
  if (missing.length > 0) throw new Error(`models did not load: ${missing.join(", ")}`);

  // human.detect merges its second argument into the instance's config, so every call states both switches.
  const detectOnly = { face: { detector: { rotation: false }, mesh: { enabled: false }, description: { enabled: false } } };
  const full = { face: { detector: { rotation: true }, mesh: { enabled: true }, description: { enabled: true } } };
  const toTensor = (img: RgbImage) => tfjs.tensor3d(img.data, [img.height, img.width, 3], "int32");

  const frames = await Promise.all(job.frames.map((f) => decodeImage(f)));
  const counts = await detectorCounts(job, frames, toTensor, async (t) => (await human.detect(t, detectOnly)).face.length);
  const detectors: DetectorRow[] = [
    {
      lib: "human",
      model: "BlazeFace back 256 on the whole image, minConfidence 0.2, maxDetected 100",
      ...counts,
      note: "detector only: facemesh and faceres off",
    },
  ];

  // Embedding cost: faceres on one face crop, as Human runs it (resize to the model's input, x 1/255 done by caller).
  const faceres = human.models.models.faceres;
  if (!faceres) throw new Error("faceres did not load");
  const [, inH, inW] = faceres.inputs[0]?.shape ?? [1, 224, 224];
  const chip = tfjs.randomUniform([1, inH as number, inW as number, 3]);
  const embedMs = await medianMs(3, 15, async () => {
    const out = faceres.execute(chip) as import("@tensorflow/tfjs-core").Tensor[];
    for (const o of out) await o.data();
    tfjs.dispose(out);
  });
  chip.dispose();

  // LFW: detector + facemesh + faceres for every face (Human's pipeline), the face nearest the centre taken;
  // score = -euclidean distance (human.match.distance).
  const lfw = await lfwVerification(
    job,
    async (img) => {
      const t = toTensor(img);
      const t0 = performance.now();
      const faces = (await human.detect(t, full)).face.filter((r) => (r.embedding?.length ?? 0) > 0);
      const ms = performance.now() - t0;
      t.dispose();
      const box = (r: (typeof faces)[number]) => ({ x: r.box[0], y: r.box[1], width: r.box[2], height: r.box[3] });
      return { ms, faces: faces.map((r) => ({ box: box(r), embedding: r.embedding as number[] })) };
    },
    (a, b) => human.match.distance(a, b),
  );
  const embedders: EmbedRow[] = [
    {
      lib: "human",
      model: "BlazeFace + facemesh + faceres (euclidean)",
      dims: 1024,
      embedMs,
      embedNote: `faceres on a ${inW}x${inH} crop, 1 run; facemesh runs before it`,
      ...lfw,
      note: "LFW: every face of an image goes through facemesh + faceres (human.detect, maxDetected 100); the central one is used",
    },
  ];
  report({
    backend: await tfjsBackend(tfjs),
    detectors,
    embedders,
  });
} catch (e) {
  fail("tfjs wasm", e);
}
