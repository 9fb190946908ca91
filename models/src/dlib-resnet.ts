/**
 * dlib's ResNet-29 face descriptor ("dlib_face_recognition_resnet_model_v1") as ported by face-api
 * (`src/faceRecognitionNet/*` of @vladmandic/face-api), written out as an ONNX graph from face-api's weight manifest.
 *
 * Layer for layer what `FaceRecognitionNet.forwardInput` does, after `toBatchTensor(150)`:
 *   x = (rgb - [122.782, 117.001, 104.298]) / 255                       (NHWC input, then one Transpose to NCHW)
 *   convDown(7x7/2 valid) -> maxPool(3, 2, valid)
 *   residual x3 (32) -> residualDown + residual x3 (64) -> residualDown + residual x2 (128)
 *   -> residualDown + residual x2 (256) -> residualDown (256)
 *   mean over H,W -> matMul(fc [256,128])
 * where a conv layer is conv2d + bias, then the "scale" layer (x * weights + biases), then relu (except conv2 of a
 * residual block), and residualDown adds avgPool(x, 2, 2, valid), zero-padded on channels (and the conv branch
 * zero-padded by one row and column at the end when the spatial sizes differ), before its relu.
 */
import { ModelBuildError } from "./errors.ts";
import { DataType } from "@persona/onnx";
import { FaceApiGraph } from "./face-api-graph.ts";
import { transposeData, type WeightMap } from "./tfjs-weights.ts";

export const DLIB_INPUT_SIZE = 150;
export const DLIB_MEAN_RGB = [122.782, 117.001, 104.298] as const;

interface Feature {
  name: string;
  c: number;
  h: number;
  w: number;
}

class DlibGraph extends FaceApiGraph {
  constructor(weights: WeightMap) {
    super("dlib_resnet29", "embedding", weights);
  }

  /** conv2d (+bias) -> scale layer -> optional relu, in NCHW. */
  convLayer(x: Feature, prefix: string, stride: 1 | 2, relu: boolean, padding: "same" | "valid"): Feature {
    const filters = this.weight(`${prefix}/conv/filters`, 4);
    const [kh, kw, cin, cout] = filters.shape as [number, number, number, number];
    if (cin !== x.c) throw new ModelBuildError("weights", `${prefix}: filters expect ${cin} channels, input has ${x.c}`);
    if (kh !== kw) throw new ModelBuildError("weights", `${prefix}: non-square kernel ${kh}x${kw}`);
    const oihw = transposeData(filters.data, filters.shape, [3, 2, 0, 1]);
    const bias = this.weight(`${prefix}/conv/bias`, 1);
    const scaleW = this.weight(`${prefix}/scale/weights`, 1);
    const scaleB = this.weight(`${prefix}/scale/biases`, 1);
    for (const [n, t] of [
      ["conv/bias", bias],
      ["scale/weights", scaleW],
      ["scale/biases", scaleB],
    ] as const) {
      if (t.shape[0] !== cout) throw new ModelBuildError("weights", `${prefix}/${n}: ${t.shape[0]} values for ${cout} filters`);
    }
    let h: number;
    let w: number;
    let pads: number[];
    if (padding === "same") {
      if (stride !== 1) throw new ModelBuildError("unsupported", `${prefix}: 'same' padding is only used with stride 1`);
      const p = (kh - 1) / 2;
      if (!Number.isInteger(p)) throw new ModelBuildError("unsupported", `${prefix}: 'same' padding with an even kernel`);
      pads = [p, p, p, p];
      h = x.h;
      w = x.w;
    } else {
      pads = [0, 0, 0, 0];
      h = Math.floor((x.h - kh) / stride) + 1;
      w = Math.floor((x.w - kw) / stride) + 1;
    }
    const g = this.g;
    let out = g.node(
      "Conv",
      [x.name, g.floats(`${prefix}/conv/filters`, oihw.shape, oihw.data), g.floats(`${prefix}/conv/bias`, [cout], bias.data)],
      {
        kernel_shape: { ints: [kh, kw] },
        strides: { ints: [stride, stride] },
        pads: { ints: pads },
        dilations: { ints: [1, 1] },
        group: 1,
      },
      `${prefix}/conv`,
    );
    out = g.node("Mul", [out, g.floats(`${prefix}/scale/weights`, [cout, 1, 1], scaleW.data)], {}, `${prefix}/scale/mul`);
    out = g.node("Add", [out, g.floats(`${prefix}/scale/biases`, [cout, 1, 1], scaleB.data)], {}, `${prefix}/scale/add`);
    if (relu) out = g.node("Relu", [out], {}, `${prefix}/relu`);
    return { name: out, c: cout, h, w };
  }

  residual(x: Feature, prefix: string): Feature {
    const a = this.convLayer(x, `${prefix}/conv1`, 1, true, "same");
    const b = this.convLayer(a, `${prefix}/conv2`, 1, false, "same");
    if (b.c !== x.c || b.h !== x.h || b.w !== x.w)
      throw new ModelBuildError("weights", `${prefix}: residual branch changes the shape`);
    const sum = this.g.node("Add", [b.name, x.name], {}, `${prefix}/add`);
    return { ...x, name: this.g.node("Relu", [sum], {}, `${prefix}/relu`) };
  }

  residualDown(x: Feature, prefix: string): Feature {
    const g = this.g;
    const a = this.convLayer(x, `${prefix}/conv1`, 2, true, "valid");
    let out = this.convLayer(a, `${prefix}/conv2`, 1, false, "same");
    const pooled: Feature = {
      name: g.node("AveragePool", [x.name], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, `${prefix}/avgpool`),
      c: x.c,
      h: Math.floor((x.h - 2) / 2) + 1,
      w: Math.floor((x.w - 2) / 2) + 1,
    };
    if (pooled.h !== out.h || pooled.w !== out.w) {
      // face-api concatenates one zero row (H) then one zero column (W) at the end of the conv branch.
      if (pooled.h - out.h !== 1 || pooled.w - out.w !== 1) {
        throw new ModelBuildError("weights", `${prefix}: cannot align ${out.h}x${out.w} with pooled ${pooled.h}x${pooled.w}`);
      }
      const pads = g.int64s(`${prefix}/pad_hw`, [0, 0, 0, 0, 0, 0, 1, 1]);
      out = { ...out, name: g.node("Pad", [out.name, pads], {}, `${prefix}/pad_hw`), h: pooled.h, w: pooled.w };
    }
    let shortcut = pooled;
    if (pooled.c !== out.c) {
      // face-api concatenates zeros of the pooled tensor's own shape on the channel axis.
      if (out.c !== 2 * pooled.c)
        throw new ModelBuildError("weights", `${prefix}: ${pooled.c} -> ${out.c} channels is not a doubling`);
      const pads = g.int64s(`${prefix}/pad_c`, [0, 0, 0, 0, 0, pooled.c, 0, 0]);
      shortcut = { ...pooled, name: g.node("Pad", [pooled.name, pads], {}, `${prefix}/pad_c`), c: out.c };
    }
    const sum = g.node("Add", [shortcut.name, out.name], {}, `${prefix}/add`);
    return { ...out, name: g.node("Relu", [sum], {}, `${prefix}/relu`) };
  }
}

/** Builds the ONNX graph. Input `input`: [N,150,150,3] float32 RGB 0..255 (NHWC); output `embedding`: [N,128]. */
export function buildDlibResnet(weights: WeightMap, doc: { docString: string; metadata: Record<string, string> }): Uint8Array {
  const net = new DlibGraph(weights);
  const g = net.g;
  const size = DLIB_INPUT_SIZE;
  const nchw = net.normalizedInput(size, DLIB_MEAN_RGB);

  let x = net.convLayer({ name: nchw, c: 3, h: size, w: size }, "conv32_down", 2, true, "valid");
  x = {
    name: g.node("MaxPool", [x.name], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } }, "maxpool"),
    c: x.c,
    h: Math.floor((x.h - 3) / 2) + 1,
    w: Math.floor((x.w - 3) / 2) + 1,
  };
  x = net.residual(x, "conv32_1");
  x = net.residual(x, "conv32_2");
  x = net.residual(x, "conv32_3");
  x = net.residualDown(x, "conv64_down");
  x = net.residual(x, "conv64_1");
  x = net.residual(x, "conv64_2");
  x = net.residual(x, "conv64_3");
  x = net.residualDown(x, "conv128_down");
  x = net.residual(x, "conv128_1");
  x = net.residual(x, "conv128_2");
  x = net.residualDown(x, "conv256_down");
  x = net.residual(x, "conv256_1");
  x = net.residual(x, "conv256_2");
  x = net.residualDown(x, "conv256_down_out");

  const pooled = g.node("ReduceMean", [x.name], { axes: { ints: [2, 3] }, keepdims: 0 }, "global_avg");
  const fc = net.weight("fc", 2);
  net.requireAllWeightsUsed();
  if (fc.shape[0] !== x.c) throw new ModelBuildError("weights", `fc expects ${fc.shape[0]} features, the net gives ${x.c}`);
  const dims = fc.shape[1] as number;
  const embedding = g.nodeTo("embedding", "MatMul", [pooled, g.floats("fc", fc.shape, fc.data)]);
  g.output(embedding, DataType.FLOAT, ["N", dims]);
  return net.encode(doc);
}
