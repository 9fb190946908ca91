/**
 * Open-set face matching: a gallery of unit-length templates (several per person) searched by brute-force cosine
 * similarity, and a known/unknown decision with a similarity threshold and a margin over the best other person.
 *
 * Storage is one contiguous Float32Array (row i = template i), grown by doubling; removal moves the last row into
 * the hole, so rows stay dense and a search is one pass over memory. Templates are stored normalised: cosine
 * similarity is the dot product. Measured costs are in packages/vision/bench/recognition.bench.ts.
 */
import { l2NormalizeInPlace } from "./embedder-vectors.ts";
import { CodedError } from "./errors.ts";
import { asNormScore, type ScoreCohort } from "./scoreNorm.ts";

export type GalleryErrorCode =
  /** vector length differs from the gallery's `dims` */
  | "dims_mismatch"
  /** zero, NaN or infinite vector */
  | "bad_vector"
  /** a template id that is already in the gallery */
  | "duplicate_template"
  /** empty or non-string id */
  | "bad_id";

export class GalleryError extends CodedError<GalleryErrorCode> {
  override readonly name = "GalleryError";
}

export interface GalleryOptions {
  /** Descriptor length (128 for dlib-resnet29, 1024 for faceres, 256 for mobileface). */
  dims: number;
  /** Rows allocated up front. Default 1024 (grows by doubling). */
  initialCapacity?: number;
}

/** One template hit of `search`. */
export interface TemplateMatch {
  readonly personId: string;
  readonly templateId: string;
  readonly similarity: number;
}

/** One person hit of `searchPeople`: the person's best template. */
export interface PersonMatch {
  readonly personId: string;
  /** The person's best template for this probe. */
  readonly templateId: string;
  readonly similarity: number;
}

export interface DecisionOptions {
  /** Minimum cosine similarity of the best person to name them. Default `DECISION_DEFAULTS.threshold`. */
  threshold?: number;
  /**
   * Minimum lead of the best person over the best other person (similarity difference) to name them. Default
   * `DECISION_DEFAULTS.minMargin`. An exact tie is never named, whatever this is.
   */
  minMargin?: number;
  /**
   * Cohort score normalisation (see `scoreNorm.ts`). When given and its cohort is `usable` (>= minSize faces), the
   * best and the runner-up person (ranked by raw similarity as always) are scored with `asNormScore` and the
   * decision uses `scoreNorm.threshold` / `scoreNorm.minMargin` on those scores instead of `threshold` /
   * `minMargin`; with a too small cohort the plain rule above applies. Costs O(cohort size) per probe.
   */
  scoreNorm?: ScoreNormOptions;
}

export interface ScoreNormOptions {
  /** Faces of non-enrolled people (never of enrolled ones: that would push their own scores down). */
  readonly cohort: ScoreCohort;
  /** Minimum normalised score of the best person. Default `SCORE_NORM_DEFAULTS.threshold`. */
  readonly threshold?: number;
  /** Minimum normalised lead over the runner-up person. Default `SCORE_NORM_DEFAULTS.minMargin`. */
  readonly minMargin?: number;
}

/** Normalised scores of a decision made with `scoreNorm` (absent when the plain rule decided). */
export interface NormalizedScores {
  /** `asNormScore` of the best person's template. */
  readonly score: number;
  /** score - runner-up's normalised score (the raw `margin` when nobody else is enrolled). */
  readonly margin: number;
  /** The probe's cohort top-k mean. */
  readonly probeTopMean: number;
}

/**
 * Defaults of `decide`, for the default embedder and mode (dlib-resnet29, ensemble + flip): the open-set operating
 * point tuned on the LFW View 1 DevTrain people (best identification rate with at most 1% of non-enrolled people
 * named; on the DevTest people: 83.4% named correctly, 0.07% named wrongly, 1.16% of impostors named). Other models
 * and modes need their own (`EmbedderSpec.thresholds`). For 1:1 verification use `thresholds[mode].verify` (0.9157).
 */
export const DECISION_DEFAULTS = {
  threshold: 0.9451,
  minMargin: 0.015,
} as const satisfies Required<Pick<DecisionOptions, "threshold" | "minMargin">>;

/**
 * Defaults of `scoreNorm` for the default embedder and mode (dlib-resnet29, ensemble + flip) with the cohort's
 * default topFraction (1%): tuned on the LFW View 1 DevTrain people with a 1,000-face cohort of other DevTrain people
 * (packages/eval/README.md, "Score normalisation"). Other models and modes need their own.
 */
export const SCORE_NORM_DEFAULTS = {
  threshold: 0.0239,
  minMargin: 0.005,
} as const;

/** Why a probe was not named. */
export type UnknownReason = "empty_gallery" | "below_threshold" | "ambiguous";

export type Decision =
  | {
      readonly kind: "known";
      readonly personId: string;
      readonly templateId: string;
      readonly similarity: number;
      /** similarity - best other person's similarity (similarity + 1 when nobody else is enrolled). */
      readonly margin: number;
      /** The best other person, if any. */
      readonly runnerUp: PersonMatch | null;
      /** Present when the cohort normalisation decided. */
      readonly normalized?: NormalizedScores;
    }
  | {
      readonly kind: "unknown";
      readonly reason: UnknownReason;
      /** The closest person even so (null for an empty gallery): useful for review and self-learning. */
      readonly best: PersonMatch | null;
      readonly margin: number | null;
      readonly runnerUp: PersonMatch | null;
      /** Present when the cohort normalisation decided. */
      readonly normalized?: NormalizedScores;
    };

/** A set of normalised face templates grouped by person, searched by brute force. */
export class Gallery {
  readonly dims: number;
  #data: Float32Array;
  #capacity: number;
  #count = 0;
  /** row -> template id / person index */
  #templateIds: string[] = [];
  #rowPerson: Int32Array;
  /** template id -> row */
  #rowOf = new Map<string, number>();
  /** person index -> id; free indices are reused */
  #personIds: (string | null)[] = [];
  #personIndex = new Map<string, number>();
  #personTemplates = new Map<string, Set<string>>();
  #freePersons: number[] = [];
  #nextTemplateId = 1;

  constructor(options: GalleryOptions) {
    const { dims } = options;
    if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`dims must be a positive integer, got ${dims}`);
    const cap = options.initialCapacity ?? 1024;
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`initialCapacity must be a positive integer, got ${cap}`);
    this.dims = dims;
    this.#capacity = cap;
    this.#data = new Float32Array(cap * dims);
    this.#rowPerson = new Int32Array(cap);
  }

  /** Number of templates. */
  get size(): number {
    return this.#count;
  }

  /** Number of people with at least one template. */
  get personCount(): number {
    return this.#personTemplates.size;
  }

  /** Enrolled people (insertion order of their first template, reused slots aside). */
  people(): string[] {
    return [...this.#personTemplates.keys()];
  }

  hasPerson(personId: string): boolean {
    return this.#personTemplates.has(personId);
  }

  hasTemplate(templateId: string): boolean {
    return this.#rowOf.has(templateId);
  }

  /** Template ids of a person (empty if unknown). */
  templatesOf(personId: string): string[] {
    return [...(this.#personTemplates.get(personId) ?? [])];
  }

  /** The person a template belongs to, or undefined. */
  personOf(templateId: string): string | undefined {
    const row = this.#rowOf.get(templateId);
    return row === undefined ? undefined : (this.#personIds[this.#rowPerson[row] as number] ?? undefined);
  }

  /** A copy of a stored (normalised) template, or undefined. */
  getTemplate(templateId: string): Float32Array | undefined {
    const row = this.#rowOf.get(templateId);
    return row === undefined ? undefined : this.#data.slice(row * this.dims, (row + 1) * this.dims);
  }

  /**
   * Adds a template for a person (created on first use). The vector is copied and normalised. Returns the template
   * id: `templateId` if given (must be new), else a generated `t<n>`.
   */
  add(personId: string, embedding: ArrayLike<number>, templateId?: string): string {
    checkId(personId, "personId");
    if (templateId !== undefined) checkId(templateId, "templateId");
    if (embedding.length !== this.dims) {
      throw new GalleryError("dims_mismatch", `template has ${embedding.length} values, gallery dims is ${this.dims}`);
    }
    const v = Float32Array.from(embedding);
    if (!l2NormalizeInPlace(v)) throw new GalleryError("bad_vector", `template for ${personId} is zero or not finite`);
    let id = templateId;
    if (id === undefined) {
      do id = `t${this.#nextTemplateId++}`;
      while (this.#rowOf.has(id));
    } else if (this.#rowOf.has(id)) {
      throw new GalleryError("duplicate_template", `template ${id} is already in the gallery`);
    }
    if (this.#count === this.#capacity) this.#grow();
    const row = this.#count++;
    this.#data.set(v, row * this.dims);
    let p = this.#personIndex.get(personId);
    if (p === undefined) {
      p = this.#freePersons.pop() ?? this.#personIds.length;
      this.#personIds[p] = personId;
      this.#personIndex.set(personId, p);
      this.#personTemplates.set(personId, new Set());
    }
    this.#rowPerson[row] = p;
    this.#templateIds[row] = id;
    this.#rowOf.set(id, row);
    this.#personTemplates.get(personId)?.add(id);
    return id;
  }

  /** Removes one template; a person left without templates is removed too. False if the id is unknown. */
  removeTemplate(templateId: string): boolean {
    const row = this.#rowOf.get(templateId);
    if (row === undefined) return false;
    const p = this.#rowPerson[row] as number;
    const personId = this.#personIds[p] as string;
    const last = this.#count - 1;
    if (row !== last) {
      const d = this.dims;
      this.#data.copyWithin(row * d, last * d, (last + 1) * d);
      const movedId = this.#templateIds[last] as string;
      this.#templateIds[row] = movedId;
      this.#rowPerson[row] = this.#rowPerson[last] as number;
      this.#rowOf.set(movedId, row);
    }
    this.#templateIds.length = last;
    this.#count = last;
    this.#rowOf.delete(templateId);
    const set = this.#personTemplates.get(personId);
    set?.delete(templateId);
    if (set && set.size === 0) {
      this.#personTemplates.delete(personId);
      this.#personIndex.delete(personId);
      this.#personIds[p] = null;
      this.#freePersons.push(p);
    }
    return true;
  }

  /** Removes a person and all their templates; returns how many templates were removed. */
  removePerson(personId: string): number {
    const ids = this.templatesOf(personId);
    for (const id of ids) this.removeTemplate(id);
    return ids.length;
  }

  /** Similarity of `probe` to every template, in row order (rows move on removal; for diagnostics and tests). */
  similarities(probe: ArrayLike<number>): Float32Array {
    const q = this.#probe(probe);
    const out = new Float32Array(this.#count);
    this.#scoreAll(q, out);
    return out;
  }

  /** The `k` most similar templates, best first (ties: lower row first). */
  search(probe: ArrayLike<number>, k = 5): TemplateMatch[] {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    const q = this.#probe(probe);
    const scores = new Float32Array(this.#count);
    this.#scoreAll(q, scores);
    const top = topK(scores, Math.min(k, this.#count));
    return top.map((row) => ({
      personId: this.#personIds[this.#rowPerson[row] as number] as string,
      templateId: this.#templateIds[row] as string,
      similarity: scores[row] as number,
    }));
  }

  /** The `k` most similar people (each scored by their best template), best first. */
  searchPeople(probe: ArrayLike<number>, k = 5): PersonMatch[] {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    const q = this.#probe(probe);
    const scores = new Float32Array(this.#count);
    this.#scoreAll(q, scores);
    const np = this.#personIds.length;
    const best = new Float32Array(np).fill(Number.NEGATIVE_INFINITY);
    const bestRow = new Int32Array(np).fill(-1);
    for (let r = 0; r < this.#count; r++) {
      const p = this.#rowPerson[r] as number;
      const s = scores[r] as number;
      if (s > (best[p] as number)) {
        best[p] = s;
        bestRow[p] = r;
      }
    }
    const top = topK(best, Math.min(k, this.#personTemplates.size));
    return top
      .filter((p) => (bestRow[p] as number) >= 0)
      .map((p) => ({
        personId: this.#personIds[p] as string,
        templateId: this.#templateIds[bestRow[p] as number] as string,
        similarity: best[p] as number,
      }));
  }

  /**
   * Open-set decision: the best person is named ("known") when their similarity is at least `threshold` and
   * their lead over the best other person is at least `minMargin` (and not an exact tie); otherwise "unknown" with
   * the reason and the closest person. With `options.scoreNorm` and a usable cohort, the same rule on cohort-normalised
   * scores (see `DecisionOptions.scoreNorm`).
   */
  decide(probe: ArrayLike<number>, options: DecisionOptions = {}): Decision {
    const threshold = options.threshold ?? DECISION_DEFAULTS.threshold;
    const minMargin = options.minMargin ?? DECISION_DEFAULTS.minMargin;
    if (!Number.isFinite(threshold)) throw new RangeError(`threshold must be finite, got ${threshold}`);
    if (!(minMargin >= 0) || !Number.isFinite(minMargin)) throw new RangeError(`minMargin must be >= 0, got ${minMargin}`);
    const [best, runnerUp = null] = this.searchPeople(probe, 2);
    if (!best)
      return {
        kind: "unknown",
        reason: "empty_gallery",
        best: null,
        margin: null,
        runnerUp: null,
      };
    const margin = best.similarity - (runnerUp ? runnerUp.similarity : -1);
    /** The rule on `score` and its lead `scoreMargin` (an exact tie of the raw similarities is never named). */
    const decided = (score: number, scoreMargin: number, t: number, mm: number, normalized?: NormalizedScores): Decision => {
      const extra = normalized ? { normalized } : {};
      if (score < t) return { kind: "unknown", reason: "below_threshold", best, margin, runnerUp, ...extra };
      if (scoreMargin < mm || margin <= 0) return { kind: "unknown", reason: "ambiguous", best, margin, runnerUp, ...extra };
      return {
        kind: "known",
        personId: best.personId,
        templateId: best.templateId,
        similarity: best.similarity,
        margin,
        runnerUp,
        ...extra,
      };
    };
    const norm = options.scoreNorm;
    if (norm?.cohort.usable) {
      const t = norm.threshold ?? SCORE_NORM_DEFAULTS.threshold;
      const mm = norm.minMargin ?? SCORE_NORM_DEFAULTS.minMargin;
      if (!Number.isFinite(t)) throw new RangeError(`scoreNorm.threshold must be finite, got ${t}`);
      if (!(mm >= 0) || !Number.isFinite(mm)) throw new RangeError(`scoreNorm.minMargin must be >= 0, got ${mm}`);
      if (norm.cohort.dims !== this.dims)
        throw new GalleryError("dims_mismatch", `cohort dims is ${norm.cohort.dims}, gallery dims is ${this.dims}`);
      const probeTopMean = norm.cohort.topMean(probe);
      const scoreOf = (m: PersonMatch) => asNormScore(m.similarity, probeTopMean, norm.cohort.topMean(this.#row(m.templateId)));
      const score = scoreOf(best);
      const normalized: NormalizedScores = {
        score,
        margin: runnerUp ? score - scoreOf(runnerUp) : margin,
        probeTopMean,
      };
      return decided(score, normalized.margin, t, mm, normalized);
    }
    return decided(best.similarity, margin, threshold, minMargin);
  }

  /** A stored template's row (a view, not a copy). */
  #row(templateId: string): Float32Array {
    const row = this.#rowOf.get(templateId) as number;
    return this.#data.subarray(row * this.dims, (row + 1) * this.dims);
  }

  #probe(probe: ArrayLike<number>): Float32Array {
    if (probe.length !== this.dims)
      throw new GalleryError("dims_mismatch", `probe has ${probe.length} values, gallery dims is ${this.dims}`);
    const q = Float32Array.from(probe);
    if (!l2NormalizeInPlace(q)) throw new GalleryError("bad_vector", "probe is zero or not finite");
    return q;
  }

  #scoreAll(q: Float32Array, out: Float32Array): void {
    const d = this.dims;
    const data = this.#data;
    const d4 = d - (d % 4);
    for (let r = 0, o = 0; r < this.#count; r++, o += d) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i < d4; i += 4) {
        s0 += (q[i] as number) * (data[o + i] as number);
        s1 += (q[i + 1] as number) * (data[o + i + 1] as number);
        s2 += (q[i + 2] as number) * (data[o + i + 2] as number);
        s3 += (q[i + 3] as number) * (data[o + i + 3] as number);
      }
      for (; i < d; i++) s0 += (q[i] as number) * (data[o + i] as number);
      out[r] = s0 + s1 + s2 + s3;
    }
  }

  #grow(): void {
    const cap = this.#capacity * 2;
    const data = new Float32Array(cap * this.dims);
    data.set(this.#data);
    const rp = new Int32Array(cap);
    rp.set(this.#rowPerson);
    this.#data = data;
    this.#rowPerson = rp;
    this.#capacity = cap;
  }
}

function checkId(id: unknown, what: string): void {
  if (typeof id !== "string" || id.length === 0) throw new GalleryError("bad_id", `${what} must be a non-empty string`);
}

/** Indices of the k largest values, largest first; equal values keep index order. NaN and -Infinity never rank. */
function topK(scores: Float32Array, k: number): number[] {
  if (k <= 0) return [];
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (!(s > Number.NEGATIVE_INFINITY)) continue;
    let j: number;
    if (idx.length < k) {
      idx.push(i);
      val.push(s);
      j = idx.length - 1;
    } else {
      if (s <= (val[k - 1] as number)) continue;
      j = k - 1;
      idx[j] = i;
      val[j] = s;
    }
    // bubble up past strictly smaller values (earlier indices win ties)
    while (j > 0 && (val[j - 1] as number) < s) {
      val[j] = val[j - 1] as number;
      idx[j] = idx[j - 1] as number;
      val[j - 1] = s;
      idx[j - 1] = i;
      j--;
    }
  }
  return idx;
}
