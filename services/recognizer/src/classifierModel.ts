/**
 * A fast classifier published by the trainer (ClassifierPublished), loaded into onnxruntime. Current models take
 * input "net" float32 [N,1,32,32]: the aligned chip's (dlib template, 150x150) gray centre, averaged and
 * standardised, computed here in one pass by `fastClassifierInput` (@persona/vision), bit for bit what the trainer
 * trained on (a test checks it). Models published before that take "sample" [N,1,68,68] (the graph did the
 * windowing and standardising itself, which cost more than the network); both load. The graph answers softmax
 * probabilities "probs" [N, classes]; class 0 is "unknown".
 */
import { createHash } from "node:crypto";
import type { DataOf } from "@persona/contracts";
import {
  FAST_CHIP_SIZE,
  FAST_NET_SIZE,
  FAST_SAMPLE_SIZE,
  type RgbImage,
  fastClassifierInput,
  fastClassifierSample,
  toFastChip,
} from "@persona/vision";
import * as ort from "onnxruntime-node";

export const CLASSIFIER_NET_INPUT = "net";
export const CLASSIFIER_SAMPLE_INPUT = "sample";
export const CLASSIFIER_OUTPUT = "probs";
export const CLASSIFIER_CHIP_SIZE = FAST_CHIP_SIZE;
export const CLASSIFIER_SAMPLE_SIZE = FAST_SAMPLE_SIZE;

/** The input of a "sample"-input (older) model for one chip: the trainer's stored sample as floats. */
export function chipSample(chip: RgbImage): Float32Array {
  if (chip.width !== CLASSIFIER_CHIP_SIZE || chip.height !== CLASSIFIER_CHIP_SIZE || chip.data.length !== 150 * 150 * 3) {
    throw new ClassifierModelError(`the fast classifier needs ${CLASSIFIER_CHIP_SIZE}px chips, got ${chip.width}x${chip.height}`);
  }
  return Float32Array.from(fastClassifierSample(chip));
}

export type ClassifierInfo = DataOf<"ClassifierPublished">;

export interface FastAnswer {
  personId: string | null;
  name: string;
  probability: number;
}

export class ClassifierModelError extends Error {
  override name = "ClassifierModelError";
}

/** The base embedder name of a template model name ("dlib-resnet29+flip" -> "dlib-resnet29"). */
export const baseModelName = (name: string) => name.replace(/\+flip$/, "");

export class ClassifierModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: ClassifierInfo,
    /** Which input the graph takes. */
    readonly input: "net" | "sample",
  ) {}

  get modelId(): string {
    return this.info.modelId;
  }

  /** Loads and checks a published model: sha256, input/output names, class count. */
  static async load(bytes: Uint8Array, info: ClassifierInfo, threads = 1): Promise<ClassifierModel> {
    const sha = createHash("sha256").update(bytes).digest("hex");
    if (sha !== info.model.sha256) throw new ClassifierModelError(`classifier ${info.modelId}: sha256 mismatch`);
    if (info.classes[0]?.personId !== null) throw new ClassifierModelError(`classifier ${info.modelId}: class 0 must be unknown`);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    const input = session.inputNames.includes(CLASSIFIER_NET_INPUT)
      ? "net"
      : session.inputNames.includes(CLASSIFIER_SAMPLE_INPUT)
        ? "sample"
        : null;
    if (input === null || !session.outputNames.includes(CLASSIFIER_OUTPUT)) {
      await session.release();
      throw new ClassifierModelError(`classifier ${info.modelId}: expected input "net" (or "sample") and output "probs"`);
    }
    const model = new ClassifierModel(session, info, input);
    const probe = await model.probabilities({
      data: new Uint8Array(CLASSIFIER_CHIP_SIZE * CLASSIFIER_CHIP_SIZE * 3),
      width: CLASSIFIER_CHIP_SIZE,
      height: CLASSIFIER_CHIP_SIZE,
    });
    if (probe.length !== info.classes.length) {
      await session.release();
      throw new ClassifierModelError(`classifier ${info.modelId}: ${probe.length} outputs for ${info.classes.length} classes`);
    }
    return model;
  }

  async probabilities(aligned: RgbImage): Promise<Float32Array> {
    // a 112 px ArcFace chip becomes the 150 px chip the trainer sampled (the same resampling there and here)
    const chip = toFastChip(aligned);
    const feed: ort.InferenceSession.FeedsType =
      this.input === "net"
        ? { [CLASSIFIER_NET_INPUT]: new ort.Tensor("float32", fastClassifierInput(chip), [1, 1, FAST_NET_SIZE, FAST_NET_SIZE]) }
        : {
            [CLASSIFIER_SAMPLE_INPUT]: new ort.Tensor("float32", chipSample(chip), [
              1,
              1,
              CLASSIFIER_SAMPLE_SIZE,
              CLASSIFIER_SAMPLE_SIZE,
            ]),
          };
    const r = await this.session.run(feed);
    return (r[CLASSIFIER_OUTPUT] as ort.Tensor).data as Float32Array;
  }

  /** The top class of one chip. */
  async classify(chip: RgbImage): Promise<FastAnswer> {
    const p = await this.probabilities(chip);
    let best = 0;
    for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    const cls = this.info.classes[best];
    return { personId: cls?.personId ?? null, name: cls?.name ?? "unknown", probability: p[best] as number };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
