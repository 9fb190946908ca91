/**
 * The fast classifier, as a library: training (tfjs, wasm backend), ONNX export, and `measureFastPath`, the
 * fast-path metrics of `persona eval selflearn` (see services/trainer/README.md for the contract).
 */
import { Embedder, type RgbImage, embedderSpec, fastClassifierInput } from "@persona/vision";
import * as ort from "onnxruntime-node";
import { type LabelledSample, splitRun } from "./dataset.ts";
import type { TrainOptions } from "./net.ts";
import { NET_INPUT, PROBS_OUTPUT } from "./onnxGraph.ts";
import { NET_SIZE, chipToSample } from "./sample.ts";
import { sessionOf, trainAndExport } from "./trainRun.ts";

export { type ClassInfo, type LabelledSample, type RunData, splitRun } from "./dataset.ts";
export { ACCEPT_DEFAULTS, type AcceptOptions, acceptModel, type ValidationMetrics, validationMetrics } from "./evaluate.ts";
export { TRAIN_DEFAULTS, type TrainOptions } from "./net.ts";
export { buildOnnx, CHIP_INPUT, NET_INPUT, PROBS_OUTPUT, SAMPLE_INPUT } from "./onnxGraph.ts";
export { modelKey, MODELS_BUCKET } from "./publish.ts";
export { CHIP_SIZE, chipToSample, SampleError } from "./sample.ts";
export { type RunResult, runSampleModel, sessionOf, trainAndExport } from "./trainRun.ts";

export interface FastPathInput {
  trainCrops: readonly { chip: RgbImage; personId: string | null }[];
  testCrops: readonly { chip: RgbImage }[];
  /** Parallel to testCrops. */
  embeddingDecisions: readonly { personId: string | null; trackPersonId: string | null }[];
  embeddingMsPerFace?: number;
  options?: Partial<TrainOptions> & { minProbability?: number; minPerPerson?: number };
}

export interface FastPathMetrics {
  /** Faces of confirmed tracks the fast path named / faces of confirmed tracks. */
  share: number;
  /** embeddingMsPerFace / fastMsPerFace. */
  speedup: number;
  /** Faces the fast path named with the embedding path's name for them / faces it named (1 when none). */
  agreement: number;
  decided: number;
  /** Decided faces the embedding path gave another person (the rest of the disagreements are faces it left unnamed). */
  conflicts: number;
  confirmedFaces: number;
  fastMsPerFace: number;
  embeddingMsPerFace: number;
  validationAccuracy: number;
  unknownRejection: number;
  trainSeconds: number;
  classes: number;
}

/**
 * Probabilities of the published graph for one chip, as a recognizer computes them: the chip -> network input in JS
 * (`fastClassifierInput`, one pass), then the "net"-input graph.
 */
export async function fastProbabilities(session: ort.InferenceSession, chip: RgbImage): Promise<Float32Array> {
  const x = new ort.Tensor("float32", fastClassifierInput(chip), [1, 1, NET_SIZE, NET_SIZE]);
  const r = await session.run({ [NET_INPUT]: x });
  return (r[PROBS_OUTPUT] as ort.Tensor).data as Float32Array;
}

/** Mean ms per face of the fast path (chip -> sample in JS -> published graph), batch 1, one thread. */
export async function timeFastModel(session: ort.InferenceSession, chips: readonly RgbImage[], rounds = 1): Promise<number> {
  const run = (chip: RgbImage) => fastProbabilities(session, chip);
  for (const c of chips.slice(0, 5)) await run(c);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const c of chips) await run(c);
  return (performance.now() - t0) / (chips.length * rounds);
}

/** Mean ms per face of the embedding path's model (dlib-resnet29, single mode, one thread) on these chips. */
export async function timeEmbedder(chips: readonly RgbImage[], model = "dlib-resnet29"): Promise<number> {
  const embedder = await Embedder.create({ model: embedderSpec(model), flip: false, intraOpNumThreads: 1 });
  try {
    for (const c of chips.slice(0, 3)) await embedder.embed([c]);
    const t0 = performance.now();
    for (const c of chips) await embedder.embed([c]);
    return (performance.now() - t0) / chips.length;
  } finally {
    await embedder.dispose();
  }
}

/**
 * Trains a fast classifier on `trainCrops` and measures it as the recognizer's cascade uses it on the held-out
 * `testCrops`: a face counts as decided when its track is confirmed (trackPersonId) and the classifier's top class
 * is that person at or above minProbability (the recognizer's periodic embedding re-check is not modelled).
 */
export async function measureFastPath(input: FastPathInput): Promise<FastPathMetrics> {
  if (input.testCrops.length !== input.embeddingDecisions.length) {
    throw new RangeError("testCrops and embeddingDecisions must have the same length");
  }
  const minProbability = input.options?.minProbability ?? 0.97;
  const samples: LabelledSample[] = input.trainCrops.map((c, i) => ({
    id: `train-${i}`,
    personId: c.personId,
    sample: chipToSample(c.chip),
  }));
  const data = splitRun(samples, new Map(), { minPerPerson: input.options?.minPerPerson ?? 4 });
  const result = await trainAndExport(data, { train: input.options ?? {}, minProbability });
  const session = await sessionOf(result.onnx);
  try {
    let decided = 0;
    let agreed = 0;
    let conflicts = 0;
    let confirmed = 0;
    for (const [i, t] of input.testCrops.entries()) {
      const e = input.embeddingDecisions[i];
      if (!e?.trackPersonId) continue;
      confirmed++;
      const p = await fastProbabilities(session, t.chip);
      let best = 0;
      for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
      const person = result.classes[best]?.personId ?? null;
      if (person === null || person !== e.trackPersonId || (p[best] as number) < minProbability) continue;
      decided++;
      if (person === e.personId) agreed++;
      else if (e.personId !== null) conflicts++;
    }
    const chips = input.testCrops.map((c) => c.chip);
    const fastMsPerFace = chips.length ? await timeFastModel(session, chips, chips.length < 100 ? 3 : 1) : Number.NaN;
    const embeddingMsPerFace = input.embeddingMsPerFace ?? (await timeEmbedder(chips.slice(0, 64)));
    return {
      share: confirmed ? decided / confirmed : 0,
      speedup: embeddingMsPerFace / fastMsPerFace,
      agreement: decided ? agreed / decided : 1,
      decided,
      conflicts,
      confirmedFaces: confirmed,
      fastMsPerFace,
      embeddingMsPerFace,
      validationAccuracy: result.metrics.validationAccuracy,
      unknownRejection: result.metrics.unknownRejection,
      trainSeconds: result.metrics.trainSeconds,
      classes: result.classes.length,
    };
  } finally {
    await session.release();
  }
}
