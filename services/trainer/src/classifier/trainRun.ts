/**
 * One training run: train on the split, measure on the validation crops, export to ONNX, check onnxruntime against
 * tfjs on the same validation inputs, and (when there is one) score the current model on the same crops.
 */
import * as ort from "onnxruntime-node";
import { type ClassInfo, type RunData, batchesFor, centreInputs } from "./dataset.ts";
import { type ValidationMetrics, toPersonPredictions, validationMetrics } from "./evaluate.ts";
import { type EpochReport, Net, type TrainOptions } from "./net.ts";
import { NET_INPUT, PROBS_OUTPUT, SAMPLE_INPUT, buildOnnx } from "./onnxGraph.ts";
import { NET_SIZE, SAMPLE_SIZE } from "./sample.ts";

export interface RunResult {
  classes: ClassInfo[];
  /** The graph to publish: input "net", the standardised 32x32 window (the recognizer preprocesses the chip in JS). */
  onnx: Uint8Array;
  metrics: ValidationMetrics & { maxAbsDiffOnnx: number; samples: number; trainSeconds: number };
  /** The current model's metrics on the same validation crops, if one was given. */
  current: ValidationMetrics | null;
}

export async function sessionOf(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
}

/**
 * Probabilities of a published model on stored samples, in batches: a "net"-input graph gets the samples' centre
 * windows (exactly what tfjs was given); an older "sample"-input graph (published before the net input) the samples.
 */
export async function runSampleModel(session: ort.InferenceSession, samples: readonly Uint8Array[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const net = session.inputNames.includes(NET_INPUT);
  if (!net && !session.inputNames.includes(SAMPLE_INPUT))
    throw new Error(`classifier graph has inputs ${session.inputNames.join(", ")}; expected "${NET_INPUT}" or "${SAMPLE_INPUT}"`);
  const px = SAMPLE_SIZE * SAMPLE_SIZE;
  for (let i = 0; i < samples.length; i += 64) {
    const part = samples.slice(i, i + 64);
    let feed: ort.InferenceSession.FeedsType;
    if (net) {
      feed = { [NET_INPUT]: new ort.Tensor("float32", centreInputs(part), [part.length, 1, NET_SIZE, NET_SIZE]) };
    } else {
      const x = new Float32Array(part.length * px);
      for (const [k, s] of part.entries()) x.set(s, k * px);
      feed = { [SAMPLE_INPUT]: new ort.Tensor("float32", x, [part.length, 1, SAMPLE_SIZE, SAMPLE_SIZE]) };
    }
    const r = await session.run(feed);
    out.push((r[PROBS_OUTPUT] as ort.Tensor).data as Float32Array);
  }
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function trainAndExport(
  data: RunData,
  o: {
    train?: Partial<TrainOptions>;
    minProbability: number;
    current?: { onnx: Uint8Array; classes: ClassInfo[] } | null;
    metadata?: Record<string, string>;
    onEpoch?: (r: EpochReport) => void;
  },
): Promise<RunResult> {
  const t0 = performance.now();
  const opts = { ...o.train };
  const net = await Net.train(data.classes.length, batchesFor(data.train, opts.batchSize ?? 32, opts.seed ?? 7), opts, o.onEpoch);
  const trainSeconds = (performance.now() - t0) / 1000;
  try {
    const valSamples = data.val.map((v) => v.sample);
    const truth = data.val.map((v) => data.classes[v.cls]?.personId ?? null);
    const tfProbs = valSamples.length ? net.predict(centreInputs(valSamples), valSamples.length) : new Float32Array(0);
    const weights = net.weights();
    const metadata = { classes: JSON.stringify(data.classes), ...o.metadata };
    const onnx = buildOnnx(weights, { input: "net", metadata });
    const session = await sessionOf(onnx);
    let maxAbsDiffOnnx = 0;
    try {
      const ortProbs = concat(await runSampleModel(session, valSamples));
      for (let i = 0; i < tfProbs.length; i++) {
        maxAbsDiffOnnx = Math.max(maxAbsDiffOnnx, Math.abs((tfProbs[i] as number) - (ortProbs[i] as number)));
      }
      if (ortProbs.length !== tfProbs.length) maxAbsDiffOnnx = Number.POSITIVE_INFINITY;
    } finally {
      await session.release();
    }
    const metrics = validationMetrics(toPersonPredictions(tfProbs, data.classes), truth, o.minProbability);
    let current: ValidationMetrics | null = null;
    if (o.current) {
      const cur = await sessionOf(o.current.onnx);
      try {
        const probs = concat(await runSampleModel(cur, valSamples));
        current = validationMetrics(toPersonPredictions(probs, o.current.classes), truth, o.minProbability);
      } finally {
        await cur.release();
      }
    }
    return {
      classes: data.classes,
      onnx,
      metrics: { ...metrics, maxAbsDiffOnnx, samples: data.train.length + data.val.length, trainSeconds },
      current,
    };
  } finally {
    net.dispose();
  }
}
