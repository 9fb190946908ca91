/**
 * Writes the trained network as an ONNX graph with the project's own writer (@persona/onnx), preprocessing
 * included, so a recognizer only feeds the aligned chip:
 *   chip float32 NHWC [N,150,150,3] (0..255) -> gray (MatMul) -> NCHW -> slice [7,143) -> avgpool 2  (= the sample)
 *   -> slice [2,66) -> avgpool 2 -> standardise -> 3 x (Conv3x3 + Relu + MaxPool 2) -> NHWC flatten
 *   -> MatMul + Relu -> MatMul -> Softmax = "probs" [N, K+1] (class 0 = unknown)
 * The "sample" variant starts at the stored 68x68 sample instead; the trainer uses it to check onnxruntime against
 * tfjs on exactly the validation inputs.
 */
import { DataType, GraphBuilder } from "@persona/onnx";
import type { NetWeights } from "./net.ts";
import { FAST_GRAY, FAST_REGION_START, FAST_STD_EPS } from "@persona/vision";
import { CENTRE, CHIP_SIZE, NET_SIZE, SAMPLE_SIZE, WINDOW } from "./sample.ts";

export const ONNX_OPSET = 13;
export const CHIP_INPUT = "chip";
export const SAMPLE_INPUT = "sample";
export const PROBS_OUTPUT = "probs";
/** The "net" variant's input: the standardised 32x32 window (sample.ts `chipNetInput`), preprocessing done by the caller. */
export const NET_INPUT = "net";

/** im2col rows (dy*3+dx)*cin + c, columns o  ->  OIHW. */
export function im2colToOihw(w: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(cout * cin * 9);
  for (let o = 0; o < cout; o++)
    for (let c = 0; c < cin; c++)
      for (let k = 0; k < 9; k++)
        out[((o * cin + c) * 3 + Math.floor(k / 3)) * 3 + (k % 3)] = w[(k * cin + c) * cout + o] as number;
  return out;
}

export function buildOnnx(
  weights: NetWeights,
  opts: { input: "chip" | "sample" | "net"; metadata?: Record<string, string>; docString?: string },
): Uint8Array {
  const g = new GraphBuilder("persona_fast_classifier");
  let x: string;
  if (opts.input === "net") {
    x = g.input(NET_INPUT, DataType.FLOAT, ["N", 1, NET_SIZE, NET_SIZE]);
  } else {
    x = preprocess(g, opts.input);
  }
  for (const [i, c] of weights.convs.entries()) {
    const w = g.floats(`conv${i}_w`, [c.cout, c.cin, 3, 3], im2colToOihw(c.w, c.cin, c.cout));
    const b = g.floats(`conv${i}_b`, [c.cout], c.b);
    x = g.node("Conv", [x, w, b], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }, `conv${i}`);
    x = g.node("Relu", [x], {}, `relu${i}`);
    x = g.node("MaxPool", [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, `pool${i}`);
  }
  x = g.node("Transpose", [x], { perm: { ints: [0, 2, 3, 1] } }, "nhwc");
  x = g.node("Flatten", [x], { axis: 1 }, "flat");
  for (const [i, dl] of weights.dense.entries()) {
    x = g.node("MatMul", [x, g.floats(`dense${i}_w`, [dl.inputs, dl.outputs], dl.w)], {}, `dense${i}`);
    x = g.node("Add", [x, g.floats(`dense${i}_b`, [dl.outputs], dl.b)], {}, `dense${i}_b`);
    if (i < weights.dense.length - 1) x = g.node("Relu", [x], {}, `dense${i}_relu`);
  }
  g.nodeTo(PROBS_OUTPUT, "Softmax", [x], { axis: 1 });
  g.output(PROBS_OUTPUT, DataType.FLOAT, ["N", weights.classes]);
  return g.encode({
    opset: ONNX_OPSET,
    producer: "persona-trainer",
    producerVersion: "1",
    docString: opts.docString ?? "Persona-ID fast face classifier (class 0 = unknown)",
    metadata: opts.metadata ?? {},
  });
}

/** The graph's own preprocessing from the chip or the stored sample to the standardised 32x32 network input. */
function preprocess(g: GraphBuilder, input: "chip" | "sample"): string {
  const i64 = (hint: string, v: number[]) => g.int64s(hint, v);
  let sample: string;
  if (input === "chip") {
    const chip = g.input(CHIP_INPUT, DataType.FLOAT, ["N", CHIP_SIZE, CHIP_SIZE, 3]);
    const gray = g.node("MatMul", [chip, g.floats("gray_w", [3, 1], [...FAST_GRAY])], {}, "gray");
    const nchw = g.node("Transpose", [gray], { perm: { ints: [0, 3, 1, 2] } }, "gray_nchw");
    const region = g.node(
      "Slice",
      [
        nchw,
        i64("r_start", [FAST_REGION_START, FAST_REGION_START]),
        i64("r_end", [CHIP_SIZE - FAST_REGION_START, CHIP_SIZE - FAST_REGION_START]),
        i64("r_axes", [2, 3]),
      ],
      {},
      "region",
    );
    sample = g.node("AveragePool", [region], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, "sample68");
  } else {
    sample = g.input(SAMPLE_INPUT, DataType.FLOAT, ["N", 1, SAMPLE_SIZE, SAMPLE_SIZE]);
  }
  const win = g.node(
    "Slice",
    [sample, i64("w_start", [CENTRE, CENTRE]), i64("w_end", [CENTRE + WINDOW, CENTRE + WINDOW]), i64("w_axes", [2, 3])],
    {},
    "window",
  );
  const p32 = g.node("AveragePool", [win], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, "p32");
  const axes = { ints: [1, 2, 3] };
  const mean = g.node("ReduceMean", [p32], { axes, keepdims: 1 }, "mean");
  const d = g.node("Sub", [p32, mean], {}, "centred");
  const variance = g.node("ReduceMean", [g.node("Mul", [d, d], {}, "sq")], { axes, keepdims: 1 }, "var");
  const std = g.node("Sqrt", [g.node("Add", [variance, g.floats("eps", [], [FAST_STD_EPS])], {}, "var_eps")], {}, "std");
  return g.node("Div", [d, std], {}, "z");
}
