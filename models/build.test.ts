/**
 * Unit tests of the model-build pieces: weight decoding, the tfjs-graph converter on a small synthetic graph
 * (checked against TensorFlow.js itself, odd sizes to exercise SAME padding), and the cache's integrity check.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { ModelBuildError } from "./src/errors.ts";
import { formatJson } from "./src/manifest.ts";
import { DataType, GraphBuilder } from "@persona/onnx";
import { makeDynamicInput, makeNhwcImageInput, type NhwcInputPatch, readFields, readValueInfo } from "./src/onnx-patch.ts";
import { initTfjs } from "./src/reference.ts";
import { fetchPackage, tarballName } from "./src/sources.ts";
import { convertTfjsGraph, type TfGraphModelJson, type TfNode } from "./src/tfjs-graph.ts";
import { halfToFloat, loadWeights, transposeData, type WeightSpec } from "./src/tfjs-weights.ts";

test("halfToFloat decodes IEEE binary16 exactly", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test("transposeData permutes a row-major tensor", () => {
  const t = transposeData(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 0]);
  assert.deepEqual(t.shape, [3, 2]);
  assert.deepEqual(Array.from(t.data), [0, 3, 1, 4, 2, 5]);
  const hwio = Float32Array.from({ length: 24 }, (_, i) => i); // [2,3,2,2]
  const oihw = transposeData(hwio, [2, 3, 2, 2], [3, 2, 0, 1]);
  assert.deepEqual(oihw.shape, [2, 2, 2, 3]);
  // oihw[o=1][i=0][h=1][w=2] == hwio[h=1][w=2][i=0][o=1] = 1*12 + 2*4 + 0*2 + 1
  assert.equal(oihw.data[1 * 12 + 0 * 6 + 1 * 3 + 2], 21);
});

test("loadWeights dequantizes uint8 as tfjs does and rejects shards of the wrong size", async () => {
  const dir = await mkdtemp(join(tmpdir(), "models-weights-"));
  try {
    const q: WeightSpec = { name: "q", shape: [3], dtype: "float32", quantization: { dtype: "uint8", scale: 0.5, min: -1 } };
    const f: WeightSpec = { name: "f", shape: [1], dtype: "float32" };
    const bytes = Buffer.concat([Buffer.from([0, 1, 255]), Buffer.from(Float32Array.from([2.5]).buffer)]);
    await writeFile(join(dir, "w.bin"), bytes);
    const map = await loadWeights(dir, [{ paths: ["w.bin"], weights: [q, f] }]);
    assert.deepEqual(Array.from(map.get("q")?.data ?? []), [-1, -0.5, 126.5]);
    assert.deepEqual(Array.from(map.get("f")?.data ?? []), [2.5]);
    await assert.rejects(
      loadWeights(dir, [{ paths: ["w.bin"], weights: [q] }]),
      (e: unknown) => e instanceof ModelBuildError && e.code === "weights",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a cached tarball whose sha512 differs from sources.json is refused, without fetching", async () => {
  const dir = await mkdtemp(join(tmpdir(), "models-cache-"));
  try {
    const source = {
      id: "x",
      name: "@scope/some-pkg",
      version: "1.0.0",
      integrity: `sha512-${Buffer.alloc(64).toString("base64")}`,
      license: "MIT",
      files: ["package/a"],
      description: "",
      homepage: "",
    };
    assert.equal(tarballName(source.name, source.version), "scope-some-pkg-1.0.0.tgz");
    await writeFile(join(dir, "scope-some-pkg-1.0.0.tgz"), "not the pinned bytes");
    await assert.rejects(
      fetchPackage(source, dir, () => {}),
      (e: unknown) => e instanceof ModelBuildError && e.code === "integrity",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("formatJson keeps short arrays on one line and round-trips", () => {
  const v = { a: [1, -2.5, 3], b: ["N", 4], c: { d: [{ e: 1 }] } };
  const text = formatJson(v);
  assert.match(text, /"a": \[1, -2\.5, 3\]/);
  assert.match(text, /"b": \["N", 4\]/);
  assert.deepEqual(JSON.parse(text), v);
});

// ---- a synthetic tfjs graph model, converted and compared with TensorFlow.js on the same graph ----

const b64 = (s: string) => Buffer.from(s).toString("base64");
const listI = (...v: number[]) => ({ list: { i: v.map(String) } });
const float = { type: "DT_FLOAT" };

interface SyntheticWeight {
  spec: WeightSpec;
  data: Float32Array | Int32Array;
}

function syntheticModel(): { json: TfGraphModelJson; weights: SyntheticWeight[] } {
  let seed = 7;
  const rand = (n: number) =>
    Float32Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed / 2 ** 32) * 2 - 1;
    });
  const weights: SyntheticWeight[] = [];
  const nodes: TfNode[] = [
    {
      name: "x",
      op: "Placeholder",
      attr: { dtype: float, shape: { shape: { dim: [{ size: "-1" }, { size: "8" }, { size: "6" }, { size: "2" }] } } },
    },
  ];
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array) => {
    const dtype = data instanceof Int32Array ? "int32" : "float32";
    weights.push({ spec: { name, shape, dtype }, data });
    nodes.push({
      name,
      op: "Const",
      attr: { dtype: { type: dtype === "int32" ? "DT_INT32" : "DT_FLOAT" }, value: {} } as TfNode["attr"],
    });
  };
  const conv = (attrs: Record<string, unknown>) =>
    ({ data_format: { s: b64("NHWC") }, dilations: listI(1, 1, 1, 1), ...attrs }) as TfNode["attr"];
  constant("dw_filter", [3, 3, 2, 2], rand(36));
  nodes.push({
    name: "dw",
    op: "DepthwiseConv2dNative",
    input: ["x", "dw_filter"],
    attr: conv({ strides: listI(1, 2, 2, 1), padding: { s: b64("SAME") } }),
  });
  constant("bias", [4], rand(4));
  nodes.push({ name: "biased", op: "BiasAdd", input: ["dw", "bias"], attr: { data_format: { s: b64("NHWC") } } });
  nodes.push({ name: "relu", op: "Relu", input: ["biased"] });
  constant("six", [], Float32Array.from([0.4]));
  constant("zero", [], Float32Array.from([0]));
  nodes.push({ name: "min", op: "Minimum", input: ["relu", "six"] });
  nodes.push({ name: "clip", op: "Maximum", input: ["min", "zero"] });
  constant("pw_filter", [1, 1, 4, 3], rand(12));
  constant("pw_bias", [3], rand(3));
  nodes.push({
    name: "pw",
    op: "_FusedConv2D",
    input: ["clip", "pw_filter", "pw_bias"],
    attr: conv({
      strides: listI(1, 1, 1, 1),
      padding: { s: b64("VALID") },
      fused_ops: { list: { s: [b64("BiasAdd")] } },
      num_args: { i: "1" },
    }),
  });
  constant("pads", [4, 2], Int32Array.from([0, 0, 1, 1, 0, 2, 0, 0]));
  nodes.push({ name: "pad", op: "Pad", input: ["pw", "pads"] });
  nodes.push({
    name: "pool",
    op: "MaxPool",
    input: ["pad"],
    attr: { data_format: { s: b64("NHWC") }, ksize: listI(1, 3, 3, 1), strides: listI(1, 2, 2, 1), padding: { s: b64("SAME") } },
  });
  constant("alpha", [3], Float32Array.from([0.1, 0.2, 0.3]));
  nodes.push({ name: "negmax", op: "Maximum", input: ["zero", "pool"] });
  nodes.push({ name: "negmin", op: "Minimum", input: ["zero", "pool"] });
  nodes.push({ name: "negmul", op: "Mul", input: ["alpha", "negmin"] });
  nodes.push({ name: "prelu", op: "AddV2", input: ["negmax", "negmul"] });
  constant("axes", [2], Int32Array.from([1, 2]));
  nodes.push({ name: "mean", op: "Mean", input: ["prelu", "axes"], attr: { keep_dims: { b: false } } });
  constant("fc", [3, 2], rand(6));
  constant("fc_bias", [2], rand(2));
  nodes.push({
    name: "fc_out",
    op: "_FusedMatMul",
    input: ["mean", "fc", "fc_bias"],
    attr: {
      fused_ops: { list: { s: [b64("BiasAdd")] } },
      num_args: { i: "1" },
      transpose_a: { b: false },
      transpose_b: { b: false },
    },
  });
  nodes.push({ name: "soft", op: "Softmax", input: ["fc_out"] });
  constant("shape", [2], Int32Array.from([-1, 27]));
  nodes.push({ name: "flat", op: "Reshape", input: ["pool", "shape"] });
  return {
    json: {
      format: "graph-model",
      modelTopology: { node: nodes, versions: {} },
      weightsManifest: [{ paths: ["w.bin"], weights: weights.map((w) => w.spec) }],
    },
    weights,
  };
}

test("the tfjs-graph converter matches TensorFlow.js on a synthetic graph (asymmetric SAME padding, fused ops, patterns)", async () => {
  const { json, weights } = syntheticModel();
  const dir = await mkdtemp(join(tmpdir(), "models-graph-"));
  try {
    const bin = Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)));
    await writeFile(join(dir, "w.bin"), bin);
    const map = await loadWeights(dir, json.weightsManifest);
    const outputs = [
      { tf: "soft", onnx: "probs" },
      { tf: "flat", onnx: "flat" },
    ];
    const result = convertTfjsGraph(json, map, {
      graphName: "synthetic",
      inputName: "input",
      outputs,
      docString: "",
      metadata: {},
    });
    assert.deepEqual(result.outputShapes, { probs: [-1, 2], flat: [-1, 27] });
    const session = await ort.InferenceSession.create(result.bytes, { logSeverityLevel: 3 });
    const x = Float32Array.from({ length: 2 * 8 * 6 * 2 }, (_, i) => Math.sin(i * 1.7));
    const got = await session.run({ input: new ort.Tensor("float32", x, [2, 8, 6, 2]) });

    await initTfjs();
    const model = await tf.loadGraphModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0]?.weights as tf.io.WeightsManifestEntry[],
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
        format: "graph-model",
      }),
    });
    const input = tf.tensor4d(x, [2, 8, 6, 2]);
    const refs = model.execute(
      input,
      outputs.map((o) => o.tf),
    ) as tf.Tensor[];
    for (const [i, o] of outputs.entries()) {
      const want = (await refs[i]?.data()) as Float32Array;
      const have = got[o.onnx]?.data as Float32Array;
      assert.equal(have.length, want.length, `${o.onnx} length`);
      for (let k = 0; k < want.length; k++)
        assert.ok(Math.abs((have[k] as number) - (want[k] as number)) < 1e-5, `${o.onnx}[${k}]: ${have[k]} vs ${want[k]}`);
    }
    input.dispose();
    for (const t of refs) t.dispose();
    model.dispose();
    await session.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the converter refuses an op it does not handle", async () => {
  const json: TfGraphModelJson = {
    format: "graph-model",
    modelTopology: {
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: float, shape: { shape: { dim: [{ size: "1" }, { size: "4" }] } } } },
        { name: "y", op: "Cumsum", input: ["x"] },
      ],
    },
    weightsManifest: [],
  };
  assert.throws(
    () =>
      convertTfjsGraph(json, new Map(), {
        graphName: "g",
        inputName: "input",
        outputs: [{ tf: "y", onnx: "y" }],
        docString: "",
        metadata: {},
      }),
    (e: unknown) => e instanceof ModelBuildError && e.code === "unsupported" && /Cumsum/.test(e.message),
  );
});

/** A tiny NHWC graph with BlazeFace's two size-dependent patterns: a channel padding lowered as
 * Concat(x, ConstantOfShape([1, C, h, w])) and a head flattening Reshape to [1, n, k]. */
function fixedSizeGraph(reshapeTarget: readonly number[] = [1, 4, 5]): Uint8Array {
  const g = new GraphBuilder("fixed");
  const x = g.input("x", DataType.FLOAT, [1, 4, 4, 2]);
  const nchw = g.node("Transpose", [x], { perm: { ints: [0, 3, 1, 2] } });
  const pooled = g.node("MaxPool", [nchw], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  const zeros = g.node("ConstantOfShape", [g.int64s("shape_1x3x2x2", [1, 3, 2, 2])]);
  const padded = g.node("Concat", [pooled, zeros], { axis: 1 });
  const nhwc = g.node("Transpose", [padded], { perm: { ints: [0, 2, 3, 1] } });
  g.int64s("unused", [0, 0, 0, 0, 0, 3, 0, 0]);
  g.nodeTo("y", "Reshape", [nhwc, g.int64s("target", reshapeTarget)]);
  g.output("y", DataType.FLOAT, [1, 4, 5]);
  return g.encode({ opset: 13, producer: "test", producerVersion: "1", docString: "", metadata: {} });
}

/** What the tiny graph computes: 2x2 max pooling, 3 zero channels appended, flattened to [N, h*w, 5]. */
function fixedSizeReference(x: Float32Array, n: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * (h / 2) * (w / 2) * 5);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h / 2; y++)
      for (let xx = 0; xx < w / 2; xx++) {
        for (let c = 0; c < 2; c++) {
          let m = Number.NEGATIVE_INFINITY;
          for (const [dy, dx] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ] as const)
            m = Math.max(m, x[((b * h + 2 * y + dy) * w + 2 * xx + dx) * 2 + c] as number);
          out[o++] = m;
        }
        o += 3;
      }
  return out;
}

test("makeDynamicInput makes a fixed-size graph size-agnostic, identical at the original size", async () => {
  const fixed = fixedSizeGraph();
  const { bytes, report } = makeDynamicInput(fixed, {
    inputShape: ["N", "H", "W", 2],
    outputShapes: { y: ["N", "anchors", 5] },
    metadata: { patched: "yes" },
  });
  assert.deepEqual(report.reshapes, [{ name: "target", from: [1, 4, 5], to: [0, -1, 5] }]);
  assert.deepEqual(report.channelPads.length, 1);
  assert.equal(report.channelPads[0]?.channels, 3);
  const graph = readFields(bytes).find((f) => f.no === 7)?.bytes as Uint8Array;
  const input = readValueInfo(readFields(graph).find((f) => f.no === 11)?.bytes as Uint8Array);
  assert.deepEqual(input, { name: "x", elemType: 1, shape: ["N", "H", "W", 2] });
  const opts = { logSeverityLevel: 3 as const };
  const a = await ort.InferenceSession.create(fixed, opts);
  const b = await ort.InferenceSession.create(bytes, opts);
  const x = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.7));
  const ya = (await a.run({ x: new ort.Tensor("float32", x, [1, 4, 4, 2]) })).y;
  const yb = (await b.run({ x: new ort.Tensor("float32", x, [1, 4, 4, 2]) })).y;
  assert.deepEqual(Array.from(yb?.data as Float32Array), Array.from(ya?.data as Float32Array));
  assert.deepEqual(Array.from(ya?.data as Float32Array), Array.from(fixedSizeReference(x, 1, 4, 4)));
  // Another batch and a non-square size.
  const x2 = Float32Array.from({ length: 2 * 6 * 8 * 2 }, (_, i) => Math.cos(i * 0.9));
  const y2 = (await b.run({ x: new ort.Tensor("float32", x2, [2, 6, 8, 2]) })).y;
  assert.deepEqual(y2?.dims, [2, 12, 5]);
  assert.deepEqual(Array.from(y2?.data as Float32Array), Array.from(fixedSizeReference(x2, 2, 6, 8)));
  await assert.rejects(a.run({ x: new ort.Tensor("float32", x2, [2, 6, 8, 2]) }), "the original is fixed-size");
});

test("makeDynamicInput refuses a graph with a size-dependent constant it does not understand", () => {
  const patch = { inputShape: ["N", "H", "W", 2], outputShapes: { y: ["N", "anchors", 5] } };
  assert.throws(
    () => makeDynamicInput(fixedSizeGraph([4, 5]), patch),
    (e: unknown) => e instanceof ModelBuildError && e.code === "unsupported" && /Reshape/.test(e.message),
  );
  assert.throws(
    () => makeDynamicInput(fixedSizeGraph(), { ...patch, outputShapes: {} }),
    (e: unknown) => e instanceof ModelBuildError && e.code === "config",
  );
});

/** A tiny batch-1 NCHW "embedder" as PyTorch exports one: x [1,3,4,4] -> 3x3 conv (pad 1) -> PRelu -> 1x1 conv ->
 * Reshape(target) -> y [1, 32]. */
function nchwGraph(reshapeTarget: readonly number[] = [1, -1], opset = 9): Uint8Array {
  let seed = 3;
  const rand = (n: number) =>
    Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed / 2 ** 32) * 2 - 1;
    });
  const g = new GraphBuilder("nchw");
  const x = g.input("x", DataType.FLOAT, [1, 3, 4, 4]);
  const conv = g.node("Conv", [x, g.floats("w1", [4, 3, 3, 3], rand(108)), g.floats("b1", [4], rand(4))], {
    kernel_shape: { ints: [3, 3] },
    pads: { ints: [1, 1, 1, 1] },
  });
  const act = g.node("PRelu", [conv, g.floats("slope", [4, 1, 1], [0.1, 0.2, 0.3, 0.4])]);
  const proj = g.node("Conv", [act, g.floats("w2", [2, 4, 1, 1], rand(8))], { kernel_shape: { ints: [1, 1] } });
  g.nodeTo("y", "Reshape", [proj, g.int64s("target", reshapeTarget)]);
  g.output("y", DataType.FLOAT, [1, 32]);
  return g.encode({ opset, producer: "test", producerVersion: "1", docString: "", metadata: {} });
}

const NHWC_PATCH: NhwcInputPatch = {
  inputName: "x",
  inputShape: ["N", 4, 4, 3],
  channelOrder: [2, 1, 0],
  mean: 127,
  scale: 1 / 128,
  outputs: { y: { name: "embedding", shape: ["N", 32] } },
  metadata: { patched: "yes" },
};

test("makeNhwcImageInput puts NHWC RGB 0..255 preprocessing in front of a batch-1 NCHW BGR graph and frees the batch", async () => {
  const original = nchwGraph();
  const { bytes, report } = makeNhwcImageInput(original, NHWC_PATCH);
  assert.deepEqual(report.added, ["Transpose", "Gather", "Sub", "Mul"]);
  assert.equal(report.rewired, 1);
  assert.deepEqual(report.reshapes, [{ name: "target", from: [1, -1], to: [0, -1] }]);
  assert.deepEqual(report.outputs, [{ from: "y", to: "embedding" }]);
  const top = readFields(bytes);
  const graph = readFields(top.find((f) => f.no === 7)?.bytes as Uint8Array);
  assert.deepEqual(readValueInfo(graph.find((f) => f.no === 11)?.bytes as Uint8Array), {
    name: "x",
    elemType: 1,
    shape: ["N", 4, 4, 3],
  });
  assert.deepEqual(readValueInfo(graph.find((f) => f.no === 12)?.bytes as Uint8Array), {
    name: "embedding",
    elemType: 1,
    shape: ["N", 32],
  });
  assert.equal(top.filter((f) => f.no === 14).length, 1, "metadata entry");
  const opts = { logSeverityLevel: 3 as const };
  const raw = await ort.InferenceSession.create(original, opts);
  const patched = await ort.InferenceSession.create(bytes, opts);
  // A batch of 3 RGB images, 0..255, against the original run on each, preprocessed by hand (NCHW, BGR, (x-127)/128).
  const n = 3;
  const pixels = Float32Array.from({ length: n * 4 * 4 * 3 }, (_, i) => (i * 37 + 11) % 256);
  const got = (await patched.run({ x: new ort.Tensor("float32", pixels, [n, 4, 4, 3]) })).embedding;
  assert.ok(got, "output embedding");
  assert.deepEqual(got.dims, [n, 32]);
  for (let b = 0; b < n; b++) {
    const nchw = new Float32Array(3 * 16);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 16; i++) nchw[c * 16 + i] = ((pixels[(b * 16 + i) * 3 + (2 - c)] as number) - 127) / 128;
    const want = (await raw.run({ x: new ort.Tensor("float32", nchw, [1, 3, 4, 4]) })).y?.data as Float32Array;
    const have = (got.data as Float32Array).subarray(b * 32, (b + 1) * 32);
    for (let k = 0; k < 32; k++)
      assert.ok(Math.abs((have[k] as number) - (want[k] as number)) <= 1e-6, `[${b}][${k}]: ${have[k]} vs ${want[k]}`);
  }
  await assert.rejects(
    raw.run({ x: new ort.Tensor("float32", new Float32Array(2 * 48), [2, 3, 4, 4]) }),
    "the original is batch 1",
  );
  await raw.release();
  await patched.release();
});

test("makeNhwcImageInput keeps a batch-free Reshape and refuses what it cannot make batch-agnostic or a wrong patch", () => {
  assert.deepEqual(makeNhwcImageInput(nchwGraph([-1, 32]), NHWC_PATCH).report.reshapes, []);
  const refused = (model: Uint8Array, patch: NhwcInputPatch, code: string, pattern: RegExp) =>
    assert.throws(
      () => makeNhwcImageInput(model, patch),
      (e: unknown) => e instanceof ModelBuildError && e.code === code && pattern.test(e.message),
    );
  refused(nchwGraph([2, 16]), NHWC_PATCH, "unsupported", /Reshape/);
  refused(nchwGraph([1, -1], 6), NHWC_PATCH, "unsupported", /opset 6/);
  refused(nchwGraph(), { ...NHWC_PATCH, inputShape: ["N", 4, 5, 3] }, "unsupported", /expected \[1,3,4,5\]/);
  refused(nchwGraph(), { ...NHWC_PATCH, channelOrder: [0, 0, 1] }, "config", /permutation/);
  refused(nchwGraph(), { ...NHWC_PATCH, outputs: {} }, "config", /output y/);
  refused(nchwGraph(), { ...NHWC_PATCH, outputs: { y: { name: "slope", shape: ["N", 32] } } }, "config", /slope/);
});
