/**
 * Cohort score normalisation for the open-set decision (adaptive symmetric normalisation, mean-only: "AS-norm").
 *
 * A cohort is a set of faces of people who are NOT enrolled (e.g. the unknown faces the cameras have seen). For a
 * face x, `topMean(x)` is the mean of its k highest cosine similarities to the cohort: how similar x is to its
 * nearest strangers. A probe p matching a template t with cosine s gets the normalised score
 *
 *     norm(p, t) = s - (topMean(p) + topMean(t)) / 2
 *
 * i.e. its lead over what p and t typically reach with unrelated faces. Faces that look like many people (generic
 * faces, poor images, "hub" templates) have a high topMean and must match more clearly to be named. Measured on LFW
 * in packages/eval/README.md ("Score normalisation"): at the same FPIR it names more of the enrolled people than the
 * raw threshold + margin, when the cohort holds at least a few hundred faces.
 *
 * k = max(1, round(topFraction * cohort size)) (default 1%): with k proportional to the cohort, topMean is a quantile
 * of the stranger-similarity distribution and the tuned threshold does not drift with the cohort size. Below
 * `minSize` faces (default 500) the statistics are too noisy: `usable` is false and `Gallery.decide` falls back to
 * the plain threshold + margin.
 *
 * Cost: one brute-force pass over the cohort per face (`topMean`), i.e. O(cohort size x dims).
 */
import { l2NormalizeInPlace } from "./embedder-vectors.ts";

export interface ScoreCohortOptions {
  /** k as a fraction of the cohort size (k = max(1, round(topFraction * size))). Default 0.01. */
  topFraction?: number;
  /** Fewest faces for the cohort to be used (below: `usable` false). Default 500. */
  minSize?: number;
}

export const SCORE_COHORT_DEFAULTS = { topFraction: 0.01, minSize: 500 } as const satisfies Required<ScoreCohortOptions>;

/** An immutable cohort of normalised face embeddings of non-enrolled people. */
export class ScoreCohort {
  readonly dims: number;
  readonly size: number;
  /** How many of the highest cohort similarities `topMean` averages. */
  readonly k: number;
  readonly minSize: number;
  readonly #data: Float32Array;

  /** Vectors are copied and normalised; a zero, non-finite or wrong-length vector is a RangeError. */
  constructor(dims: number, vectors: readonly ArrayLike<number>[], options: ScoreCohortOptions = {}) {
    if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`dims must be a positive integer, got ${dims}`);
    const topFraction = options.topFraction ?? SCORE_COHORT_DEFAULTS.topFraction;
    const minSize = options.minSize ?? SCORE_COHORT_DEFAULTS.minSize;
    if (!(topFraction > 0 && topFraction <= 1)) throw new RangeError(`topFraction must be in (0, 1], got ${topFraction}`);
    if (!Number.isInteger(minSize) || minSize < 1) throw new RangeError(`minSize must be a positive integer, got ${minSize}`);
    this.dims = dims;
    this.size = vectors.length;
    this.minSize = minSize;
    this.k = Math.max(1, Math.round(topFraction * vectors.length));
    this.#data = new Float32Array(vectors.length * dims);
    vectors.forEach((v, i) => {
      if (v.length !== dims) throw new RangeError(`cohort vector ${i} has ${v.length} values, dims is ${dims}`);
      const row = Float32Array.from(v);
      if (!l2NormalizeInPlace(row)) throw new RangeError(`cohort vector ${i} is zero or not finite`);
      this.#data.set(row, i * dims);
    });
  }

  /** Whether the cohort is big enough (>= minSize) for its statistics to be used. */
  get usable(): boolean {
    return this.size >= this.minSize;
  }

  /**
   * Mean of the k highest cosine similarities of `v` to the cohort (NaN for an empty cohort). `v` need not be unit
   * length; a zero or non-finite `v` is a RangeError.
   */
  topMean(v: ArrayLike<number>): number {
    if (v.length !== this.dims) throw new RangeError(`vector has ${v.length} values, cohort dims is ${this.dims}`);
    if (this.size === 0) return Number.NaN;
    const q = Float32Array.from(v);
    if (!l2NormalizeInPlace(q)) throw new RangeError("vector is zero or not finite");
    const d = this.dims;
    const data = this.#data;
    // the k largest similarities in a small ascending array (k is ~1% of the cohort)
    const k = this.k;
    const top = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
    for (let r = 0, o = 0; r < this.size; r++, o += d) {
      let s = 0;
      for (let i = 0; i < d; i++) s += (q[i] as number) * (data[o + i] as number);
      if (s <= (top[0] as number)) continue;
      let j = 0;
      while (j + 1 < k && (top[j + 1] as number) < s) {
        top[j] = top[j + 1] as number;
        j++;
      }
      top[j] = s;
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += top[j] as number;
    return sum / k;
  }
}

/** The normalised score: similarity minus the mean of the probe's and the template's cohort top-k means. */
export function asNormScore(similarity: number, probeTopMean: number, templateTopMean: number): number {
  return similarity - 0.5 * (probeTopMean + templateTopMean);
}
