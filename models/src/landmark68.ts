/**
 * face-api's FaceLandmark68Net (68 iBUG landmarks, `src/faceLandmarkNet` + `src/faceFeatureExtractor` of
 * @vladmandic/face-api), written out as an ONNX graph from face-api's weight manifest.
 *
 * Layer for layer what `FaceLandmark68Net.runNet` does after `toBatchTensor(112)`:
 *   x = (rgb - [122.782, 117.001, 104.298]) / 255                            (NHWC input, one Transpose to NCHW)
 *   4 dense blocks (32, 64, 128, 256 channels), each halving H and W:
 *     out1 = relu(conv0(x, stride 2))            (dense0: a plain 3x3 conv + bias; others: separable conv + bias)
 *     out2 = sep(out1); out3 = sep(relu(out1 + out2)); out4 = sep(relu(out1 + out2 + out3))
 *     y = relu(out1 + out2 + out3 + out4)
 *   avgPool(7x7, stride 2, valid) -> flatten -> fc [256, 136]
 * The 136 outputs are (x, y) pairs of the 68 points relative to the 112x112 input (0..1 across it).
 * TensorFlow's 'same' padding for the stride-2 3x3 convs on even sizes pads one pixel at the end only: SAME_UPPER.
 */
import { ModelBuildError } from "./errors.ts";
import { DataType } from "@persona/onnx";
import { FaceApiGraph } from "./face-api-graph.ts";
import { transposeData, type WeightMap } from "./tfjs-weights.ts";

export const LANDMARK68_INPUT_SIZE = 112;
export const LANDMARK68_MEAN_RGB = [122.782, 117.001, 104.298] as const;

class LandmarkGraph extends FaceApiGraph {
  constructor(weights: WeightMap) {
    super("face_landmark68", "landmarks", weights);
  }

  conv(x: string, prefix: string, stride: 1 | 2, cin: number): { name: string; c: number } {
    const f = this.weight(`${prefix}/filters`, 4);
    const [kh, kw, ci, co] = f.shape as [number, number, number, number];
    if (ci !== cin) throw new ModelBuildError("weights", `${prefix}: filters expect ${ci} channels, input has ${cin}`);
    const oihw = transposeData(f.data, f.shape, [3, 2, 0, 1]);
    const bias = this.weight(`${prefix}/bias`, 1);
    const g = this.g;
    const name = g.node(
      "Conv",
      [x, g.floats(`${prefix}/filters`, oihw.shape, oihw.data), g.floats(`${prefix}/bias`, [co], bias.data)],
      { kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, auto_pad: { s: "SAME_UPPER" } },
      prefix,
    );
    return { name, c: co };
  }

  /** tf.separableConv2d(depthwise 3x3 with stride, pointwise 1x1) + bias. */
  separable(x: string, prefix: string, stride: 1 | 2, cin: number): { name: string; c: number } {
    const dw = this.weight(`${prefix}/depthwise_filter`, 4);
    const pw = this.weight(`${prefix}/pointwise_filter`, 4);
    const bias = this.weight(`${prefix}/bias`, 1);
    const [kh, kw, ci, mult] = dw.shape as [number, number, number, number];
    if (ci !== cin || mult !== 1)
      throw new ModelBuildError("weights", `${prefix}: depthwise filter ${dw.shape.join("x")} for ${cin} channels`);
    const [, , pci, co] = pw.shape as [number, number, number, number];
    if (pci !== cin)
      throw new ModelBuildError("weights", `${prefix}: pointwise filter expects ${pci} channels, input has ${cin}`);
    if ((bias.shape[0] as number) !== co)
      throw new ModelBuildError("weights", `${prefix}: ${bias.shape[0]} biases for ${co} filters`);
    const g = this.g;
    // depthwise [kh,kw,C,1] -> [C,1,kh,kw]; pointwise [1,1,C,O] -> [O,C,1,1]
    const dwW = transposeData(dw.data, dw.shape, [2, 3, 0, 1]);
    const pwW = transposeData(pw.data, pw.shape, [3, 2, 0, 1]);
    const d = g.node(
      "Conv",
      [x, g.floats(`${prefix}/depthwise_filter`, dwW.shape, dwW.data)],
      { kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, auto_pad: { s: "SAME_UPPER" }, group: cin },
      `${prefix}/depthwise`,
    );
    const name = g.node(
      "Conv",
      [d, g.floats(`${prefix}/pointwise_filter`, pwW.shape, pwW.data), g.floats(`${prefix}/bias`, [co], bias.data)],
      { kernel_shape: { ints: [1, 1] }, strides: { ints: [1, 1] } },
      `${prefix}/pointwise`,
    );
    return { name, c: co };
  }

  denseBlock4(x: { name: string; c: number }, prefix: string, first: boolean): { name: string; c: number } {
    const g = this.g;
    const c0 = first ? this.conv(x.name, `${prefix}/conv0`, 2, x.c) : this.separable(x.name, `${prefix}/conv0`, 2, x.c);
    const out1 = g.node("Relu", [c0.name], {}, `${prefix}/out1`);
    const c = c0.c;
    const out2 = this.separable(out1, `${prefix}/conv1`, 1, c).name;
    const s12 = g.node("Add", [out1, out2], {}, `${prefix}/sum12`);
    const out3 = this.separable(g.node("Relu", [s12], {}, `${prefix}/in3`), `${prefix}/conv2`, 1, c).name;
    const s123 = g.node("Add", [out1, g.node("Add", [out2, out3], {}, `${prefix}/sum23`)], {}, `${prefix}/sum123`);
    const out4 = this.separable(g.node("Relu", [s123], {}, `${prefix}/in4`), `${prefix}/conv3`, 1, c).name;
    const s234 = g.node("Add", [out2, g.node("Add", [out3, out4], {}, `${prefix}/sum34`)], {}, `${prefix}/sum234`);
    const s = g.node("Add", [out1, s234], {}, `${prefix}/sum1234`);
    return { name: g.node("Relu", [s], {}, `${prefix}/out`), c };
  }
}

/** Builds the ONNX graph. Input `input`: [N,112,112,3] float32 RGB 0..255 (NHWC); output `landmarks`: [N,136]. */
export function buildLandmark68(weights: WeightMap, doc: { docString: string; metadata: Record<string, string> }): Uint8Array {
  const net = new LandmarkGraph(weights);
  const g = net.g;
  const size = LANDMARK68_INPUT_SIZE;
  const nchw = net.normalizedInput(size, LANDMARK68_MEAN_RGB);
  let x = net.denseBlock4({ name: nchw, c: 3 }, "dense0", true);
  x = net.denseBlock4(x, "dense1", false);
  x = net.denseBlock4(x, "dense2", false);
  x = net.denseBlock4(x, "dense3", false);
  // 112 -> 56 -> 28 -> 14 -> 7; avgPool 7x7 (stride 2, valid) leaves 1x1
  const pooled = g.node("AveragePool", [x.name], { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } }, "avgpool");
  const flat = g.node("Flatten", [pooled], { axis: 1 }, "flatten");
  const fcW = net.weight("fc/weights", 2);
  const fcB = net.weight("fc/bias", 1);
  if (fcW.shape[0] !== x.c) throw new ModelBuildError("weights", `fc expects ${fcW.shape[0]} features, the net gives ${x.c}`);
  const outs = fcW.shape[1] as number;
  if (outs !== 136) throw new ModelBuildError("weights", `fc gives ${outs} outputs, 68 landmarks need 136`);
  net.requireAllWeightsUsed();
  const mm = g.node("MatMul", [flat, g.floats("fc/weights", fcW.shape, fcW.data)], {}, "fc/matmul");
  const out = g.nodeTo("landmarks", "Add", [mm, g.floats("fc/bias", [outs], fcB.data)]);
  g.output(out, DataType.FLOAT, ["N", outs]);
  return net.encode(doc);
}
