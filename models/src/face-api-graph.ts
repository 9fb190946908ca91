/**
 * What face-api's networks share when they are written out as ONNX graphs (dlib-resnet.ts, landmark68.ts): the graph
 * being built, the weights of face-api's manifest (each one must be used), face-api's input normalisation and the
 * encoding of the model file.
 */
import { DataType, GraphBuilder } from "@persona/onnx";
import { ModelBuildError } from "./errors.ts";
import { floatWeight, type WeightMap } from "./tfjs-weights.ts";

export class FaceApiGraph {
  readonly g: GraphBuilder;
  readonly #used = new Set<string>();

  /** `output`: the name of the graph's output, reserved so that no other tensor takes it. */
  constructor(
    graphName: string,
    output: string,
    private readonly weights: WeightMap,
  ) {
    this.g = new GraphBuilder(graphName);
    this.g.reserve(output);
  }

  weight(name: string, rank: number): { shape: number[]; data: Float32Array } {
    this.#used.add(name);
    return floatWeight(this.weights, name, rank);
  }

  /**
   * Input `input`: [N,size,size,3] float32 RGB 0..255 (NHWC), normalised as face-api does after `toBatchTensor`:
   * (rgb - meanRgb) / 255, then transposed to NCHW. Returns the NCHW tensor's name.
   */
  normalizedInput(size: number, meanRgb: readonly number[]): string {
    const g = this.g;
    const input = g.input("input", DataType.FLOAT, ["N", size, size, 3]);
    const centered = g.node("Sub", [input, g.floats("mean_rgb", [3], [...meanRgb])], {}, "normalize/sub");
    const scaled = g.node("Div", [centered, g.floats("scale_255", [], [255])], {}, "normalize/div");
    return g.node("Transpose", [scaled], { perm: { ints: [0, 3, 1, 2] } }, "to_nchw");
  }

  /** Throws when a weight of the manifest is not used by the graph: the graph would not be face-api's network. */
  requireAllWeightsUsed(): void {
    const unused = [...this.weights.keys()].filter((k) => !this.#used.has(k));
    if (unused.length > 0) throw new ModelBuildError("weights", `weights not used by the graph: ${unused.join(", ")}`);
  }

  /** The model file (opset 13) with the given doc string and metadata. */
  encode(doc: { docString: string; metadata: Record<string, string> }): Uint8Array {
    return this.g.encode({ opset: 13, producer: "persona-id/models", producerVersion: "1", ...doc });
  }
}
