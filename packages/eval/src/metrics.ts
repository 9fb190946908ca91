/**
 * Verification metrics over similarity scores (pure functions): ROC, AUC, TAR at a FAR, the accuracy-optimal
 * threshold and k-fold threshold cross-validation (LFW's protocol).
 *
 * Convention: a pair is accepted ("same person") when its score is >= the threshold. `labels[i]` is true for a
 * genuine (same-person) pair. Scores that are NaN are treated as -Infinity (never accepted).
 */

/** One operating point. `threshold` accepts scores >= it. */
export interface RocPoint {
  readonly threshold: number;
  /** False accept rate: accepted impostor pairs / impostor pairs. */
  readonly far: number;
  /** True accept rate: accepted genuine pairs / genuine pairs. */
  readonly tar: number;
}

export interface RocCurve {
  /** From (0, 0) at threshold +Infinity to (1, 1); one point per distinct score. */
  readonly points: readonly RocPoint[];
  readonly positives: number;
  readonly negatives: number;
}

function clean(s: number): number {
  return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<boolean>): void {
  if (scores.length !== labels.length)
    throw new RangeError(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
}

/** Indices sorted by score, highest first (stable). */
function order(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => clean(scores[b] as number) - clean(scores[a] as number) || a - b);
  return idx;
}

/** ROC curve with one point per distinct score (tied scores move together, so ties give diagonal steps). */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<boolean>): RocCurve {
  checkInputs(scores, labels);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positives++;
  const negatives = labels.length - positives;
  const idx = order(scores);
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, far: 0, tar: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; ) {
    const s = clean(scores[idx[k] as number] as number);
    while (k < idx.length && clean(scores[idx[k] as number] as number) === s) {
      if (labels[idx[k] as number]) tp++;
      else fp++;
      k++;
    }
    points.push({ threshold: s, far: negatives ? fp / negatives : 0, tar: positives ? tp / positives : 0 });
  }
  return { points, positives, negatives };
}

/** Area under the ROC curve (trapezoids; equals the Mann-Whitney probability with ties counted half). */
export function rocAuc(curve: RocCurve): number {
  let a = 0;
  const p = curve.points;
  for (let i = 1; i < p.length; i++) {
    const q0 = p[i - 1] as RocPoint;
    const q1 = p[i] as RocPoint;
    a += (q1.far - q0.far) * (q1.tar + q0.tar) * 0.5;
  }
  return a;
}

export interface TarAtFar {
  /** The FAR asked for. */
  readonly targetFar: number;
  /** Best TAR with FAR <= target. */
  readonly tar: number;
  /** FAR actually reached at that point. */
  readonly far: number;
  /** Threshold of that point (accept >= threshold). */
  readonly threshold: number;
  /** Impostor pairs accepted at that point. */
  readonly falseAccepts: number;
}

/**
 * TAR at the loosest threshold whose FAR is <= `targetFar`. With N impostor pairs the finest FAR is 1/N: with 3,000
 * (LFW) FAR 1e-3 allows 3 false accepts, so the figure is noisy and says so through `falseAccepts`.
 */
export function tarAtFar(curve: RocCurve, targetFar: number): TarAtFar {
  if (!(targetFar >= 0 && targetFar <= 1)) throw new RangeError(`targetFar must be in [0, 1], got ${targetFar}`);
  let best = curve.points[0] as RocPoint;
  for (const p of curve.points) {
    if (p.far <= targetFar + 1e-12 && p.tar >= best.tar) best = p;
  }
  return {
    targetFar,
    tar: best.tar,
    far: best.far,
    threshold: best.threshold,
    falseAccepts: Math.round(best.far * curve.negatives),
  };
}

export interface ThresholdChoice {
  readonly threshold: number;
  /** Accuracy on the data the threshold was chosen on. */
  readonly accuracy: number;
}

/**
 * The threshold with the best accuracy on (scores, labels): the midpoint between the lowest accepted and the
 * highest rejected score of the first best split (highest threshold among equals).
 */
export function bestThreshold(scores: ArrayLike<number>, labels: ArrayLike<boolean>): ThresholdChoice {
  checkInputs(scores, labels);
  const n = scores.length;
  if (n === 0) throw new RangeError("bestThreshold needs at least one pair");
  let negatives = 0;
  for (let i = 0; i < n; i++) if (!labels[i]) negatives++;
  const idx = order(scores);
  // accept nothing: all negatives right
  let bestCorrect = negatives;
  let bestK = 0; // number of accepted pairs (a prefix of idx, cut between distinct scores)
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; ) {
    const s = clean(scores[idx[k] as number] as number);
    while (k < n && clean(scores[idx[k] as number] as number) === s) {
      if (labels[idx[k] as number]) tp++;
      else fp++;
      k++;
    }
    const correct = tp + (negatives - fp);
    if (correct > bestCorrect) {
      bestCorrect = correct;
      bestK = k;
    }
  }
  let threshold: number;
  if (bestK === 0) {
    const top = clean(scores[idx[0] as number] as number);
    threshold = Number.isFinite(top) ? top + 1e-6 : Number.POSITIVE_INFINITY;
  } else {
    const lo = clean(scores[idx[bestK - 1] as number] as number);
    const next = bestK < n ? clean(scores[idx[bestK] as number] as number) : Number.NEGATIVE_INFINITY;
    threshold = Number.isFinite(next) ? (lo + next) / 2 : lo;
  }
  return { threshold, accuracy: bestCorrect / n };
}

/** Fraction of pairs classified correctly by `threshold` (accept >= threshold). */
export function accuracyAt(scores: ArrayLike<number>, labels: ArrayLike<boolean>, threshold: number): number {
  checkInputs(scores, labels);
  if (scores.length === 0) return Number.NaN;
  let correct = 0;
  for (let i = 0; i < scores.length; i++) if (clean(scores[i] as number) >= threshold === labels[i]) correct++;
  return correct / scores.length;
}

/** Confusion counts at a threshold. */
export interface RatesAt {
  readonly threshold: number;
  readonly accuracy: number;
  readonly tar: number;
  readonly far: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly positives: number;
  readonly negatives: number;
}

export function ratesAt(scores: ArrayLike<number>, labels: ArrayLike<boolean>, threshold: number): RatesAt {
  checkInputs(scores, labels);
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const acc = clean(scores[i] as number) >= threshold;
    if (labels[i]) {
      pos++;
      if (acc) tp++;
    } else if (acc) fp++;
  }
  const neg = scores.length - pos;
  return {
    threshold,
    accuracy: scores.length ? (tp + neg - fp) / scores.length : Number.NaN,
    tar: pos ? tp / pos : Number.NaN,
    far: neg ? fp / neg : Number.NaN,
    truePositives: tp,
    falsePositives: fp,
    positives: pos,
    negatives: neg,
  };
}

export interface FoldResult {
  readonly fold: number;
  /** Threshold chosen on the other folds. */
  readonly threshold: number;
  /** Accuracy of that threshold on this fold. */
  readonly accuracy: number;
  readonly pairs: number;
}

export interface KFoldResult {
  readonly folds: readonly FoldResult[];
  /** Mean of the fold accuracies. */
  readonly mean: number;
  /** Sample standard deviation (n - 1) of the fold accuracies. */
  readonly std: number;
  /** std / sqrt(folds): LFW's "standard error of the mean". */
  readonly stdError: number;
  /** Mean of the chosen thresholds. */
  readonly meanThreshold: number;
}

/**
 * k-fold threshold cross-validation: for each fold, the threshold is chosen (`bestThreshold`) on all other folds
 * and tested on that fold. `folds[i]` is pair i's fold id (any integers; sorted ascending in the result).
 */
export function kFoldAccuracy(scores: ArrayLike<number>, labels: ArrayLike<boolean>, folds: ArrayLike<number>): KFoldResult {
  checkInputs(scores, labels);
  if (folds.length !== scores.length)
    throw new RangeError(`folds (${folds.length}) and scores (${scores.length}) differ in length`);
  const ids = [...new Set(Array.from(folds))].sort((a, b) => a - b);
  if (ids.length < 2) throw new RangeError(`k-fold needs at least 2 folds, got ${ids.length}`);
  const results: FoldResult[] = [];
  for (const f of ids) {
    const trS: number[] = [];
    const trL: boolean[] = [];
    const teS: number[] = [];
    const teL: boolean[] = [];
    for (let i = 0; i < scores.length; i++) {
      if (folds[i] === f) {
        teS.push(scores[i] as number);
        teL.push(labels[i] as boolean);
      } else {
        trS.push(scores[i] as number);
        trL.push(labels[i] as boolean);
      }
    }
    const { threshold } = bestThreshold(trS, trL);
    results.push({ fold: f, threshold, accuracy: accuracyAt(teS, teL, threshold), pairs: teS.length });
  }
  const accs = results.map((r) => r.accuracy);
  const mean = meanOf(accs);
  const std = sampleStd(accs);
  return {
    folds: results,
    mean,
    std,
    stdError: std / Math.sqrt(accs.length),
    meanThreshold: meanOf(results.map((r) => r.threshold)),
  };
}

/**
 * Fold ids for pairs that have none: `k` folds, assigned round-robin separately within genuine and impostor pairs
 * (in file order), so each fold gets the same mix.
 */
export function stratifiedFolds(labels: ArrayLike<boolean>, k: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  let p = 0;
  let n = 0;
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) out.push(labels[i] ? p++ % k : n++ % k);
  return out;
}

export function meanOf(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
