/** Validation metrics and the "never worse" acceptance rule, pure. */
import type { ClassInfo } from "./dataset.ts";

export interface ValidationMetrics {
  /** Known people's validation crops whose top class is their own. */
  validationAccuracy: number;
  /** Unknown validation crops the classifier would not name (top class unknown, or below minProbability). */
  unknownRejection: number;
  /** Known validation crops named (top class, at or above minProbability) wrongly: what a cascade could get wrong. */
  wrongNamedShare: number;
  /** Known validation crops named correctly at or above minProbability: what a cascade could decide. */
  decidedShare: number;
  knownCount: number;
  unknownCount: number;
}

/** Top class and its probability of each row of `probs` [n, classes]. */
export function argmaxRows(probs: Float32Array, classes: number): { cls: number; p: number }[] {
  const out: { cls: number; p: number }[] = [];
  for (let r = 0; r * classes < probs.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probs[r * classes + c] as number) > (probs[r * classes + best] as number)) best = c;
    out.push({ cls: best, p: probs[r * classes + best] as number });
  }
  return out;
}

/**
 * Metrics of predictions (person id or null, with probability) against the truth (person id or null). Works across
 * models with different class lists, since both sides are person ids.
 */
export function validationMetrics(
  predicted: readonly { personId: string | null; p: number }[],
  truth: readonly (string | null)[],
  minProbability: number,
): ValidationMetrics {
  let known = 0;
  let correct = 0;
  let wrongNamed = 0;
  let decided = 0;
  let unknown = 0;
  let rejected = 0;
  for (const [i, t] of truth.entries()) {
    const p = predicted[i];
    if (!p) throw new RangeError("predictions and truth differ in length");
    if (t === null) {
      unknown++;
      if (p.personId === null || p.p < minProbability) rejected++;
    } else {
      known++;
      if (p.personId === t) correct++;
      if (p.personId === t && p.p >= minProbability) decided++;
      else if (p.personId !== null && p.p >= minProbability) wrongNamed++;
    }
  }
  return {
    validationAccuracy: known ? correct / known : 0,
    unknownRejection: unknown ? rejected / unknown : 1,
    wrongNamedShare: known ? wrongNamed / known : 0,
    decidedShare: known ? decided / known : 0,
    knownCount: known,
    unknownCount: unknown,
  };
}

export function toPersonPredictions(probs: Float32Array, classes: readonly ClassInfo[]) {
  return argmaxRows(probs, classes.length).map((r) => ({ personId: classes[r.cls]?.personId ?? null, p: r.p }));
}

export interface AcceptOptions {
  /** Every model (the first and each later one) needs at least this validation accuracy... */
  minAccuracy: number;
  /** ...and at least this unknown rejection (1 when there are no unknown validation crops: then it always passes). */
  minUnknownRejection: number;
  /** How much worse than the current model (on the same validation crops) still counts as "not worse". */
  tolerance: number;
  /** onnxruntime must match tfjs within this. */
  maxAbsDiff: number;
}

export const ACCEPT_DEFAULTS: AcceptOptions = { minAccuracy: 0.7, minUnknownRejection: 0.7, tolerance: 0, maxAbsDiff: 1e-4 };

export type Verdict = { publish: true; reason: string } | { publish: false; reason: string };

/** Publish only a correct export, above the floors, and not worse than the current model on the same crops. */
export function acceptModel(
  candidate: ValidationMetrics & { maxAbsDiffOnnx: number },
  current: ValidationMetrics | null,
  o: AcceptOptions = ACCEPT_DEFAULTS,
): Verdict {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (!(candidate.maxAbsDiffOnnx <= o.maxAbsDiff)) {
    return { publish: false, reason: `onnxruntime differs from tfjs by ${candidate.maxAbsDiffOnnx} (> ${o.maxAbsDiff})` };
  }
  if (candidate.knownCount === 0) return { publish: false, reason: "no validation crops of known people" };
  if (candidate.validationAccuracy < o.minAccuracy) {
    return { publish: false, reason: `validation accuracy ${pct(candidate.validationAccuracy)} < ${pct(o.minAccuracy)}` };
  }
  if (candidate.unknownRejection < o.minUnknownRejection) {
    return { publish: false, reason: `unknown rejection ${pct(candidate.unknownRejection)} < ${pct(o.minUnknownRejection)}` };
  }
  if (current) {
    if (candidate.validationAccuracy < current.validationAccuracy - o.tolerance) {
      return {
        publish: false,
        reason: `validation accuracy ${pct(candidate.validationAccuracy)} is worse than the current model's ${pct(current.validationAccuracy)}`,
      };
    }
    if (candidate.unknownRejection < current.unknownRejection - o.tolerance) {
      return {
        publish: false,
        reason: `unknown rejection ${pct(candidate.unknownRejection)} is worse than the current model's ${pct(current.unknownRejection)}`,
      };
    }
    return {
      publish: true,
      reason: `accuracy ${pct(candidate.validationAccuracy)} (current ${pct(current.validationAccuracy)}), unknown rejection ${pct(candidate.unknownRejection)} (current ${pct(current.unknownRejection)})`,
    };
  }
  return {
    publish: true,
    reason: `first model: accuracy ${pct(candidate.validationAccuracy)}, unknown rejection ${pct(candidate.unknownRejection)}`,
  };
}
