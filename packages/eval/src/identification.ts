/**
 * Open-set identification metrics (pure given the vectors): build a `Gallery`, search every probe, then
 * rank-1/rank-5 (closed set), FNIR at a fixed FPIR (threshold on the top score only), the matcher's decisions
 * (`threshold` + `minMargin`), and the tuning of that pair for a target FPIR.
 *
 * Vocabulary (ISO/IEC 19795-1, NIST FRVT 1:N): a mated probe's person is enrolled; a non-mated probe ("impostor")
 * is not. FPIR = fraction of non-mated searches that name someone. FNIR = fraction of mated searches that do not
 * name the right person. DIR (detection and identification rate, "rank-1 at FPIR x") = 1 - FNIR.
 */
import { Gallery, type ScoreCohort } from "@persona/vision";

export interface LabelledVector {
  readonly personId: string;
  /** Null when the image gave no embedding (counts as a miss for mated probes, a correct reject for impostors). */
  readonly vector: Float32Array | null;
}

export interface IdentificationInput {
  readonly dims: number;
  readonly gallery: readonly LabelledVector[];
  readonly probes: readonly LabelledVector[];
  readonly impostors: readonly LabelledVector[];
  /**
   * Cohort of non-enrolled faces for score normalisation: each outcome then also carries the best person's
   * normalised score and margin (`Gallery.decide` with `scoreNorm`). Must be `usable`.
   */
  readonly cohort?: ScoreCohort;
}

/** Which score a decision thresholds: the raw cosine (`threshold` + `minMargin`) or the cohort-normalised one. */
export type ScoreKind = "raw" | "norm";

/** What a search returned for one probe (what `Gallery.decide` looks at). */
export interface SearchOutcome {
  /** The probe's true person (kept for non-mated probes too, for reference). */
  readonly truth: string;
  /** Best people, best first (at most 5; empty without a vector). */
  readonly top: readonly string[];
  /** Best person's similarity (-Infinity without a vector). */
  readonly similarity: number;
  /** Best minus second-best person's similarity (similarity + 1 with one person enrolled; -Infinity without a vector). */
  readonly margin: number;
  /** With a cohort: the best person's normalised score and lead over the runner-up (see `ScoreNormOptions`). */
  readonly norm?: { readonly score: number; readonly margin: number };
}

export interface SearchOutcomes {
  readonly galleryPeople: number;
  readonly galleryTemplates: number;
  readonly mated: readonly SearchOutcome[];
  readonly nonMated: readonly SearchOutcome[];
}

/** Enrolls the gallery and searches every probe and impostor. */
export function searchOutcomes(input: IdentificationInput): SearchOutcomes {
  const gallery = new Gallery({ dims: input.dims, initialCapacity: Math.max(16, input.gallery.length) });
  for (const g of input.gallery) if (g.vector) gallery.add(g.personId, g.vector);
  const cohort = input.cohort;
  if (cohort && !cohort.usable)
    throw new RangeError(`the cohort has ${cohort.size} faces, fewer than its minSize ${cohort.minSize}`);
  const search = (l: LabelledVector): SearchOutcome => {
    if (!l.vector || gallery.size === 0)
      return { truth: l.personId, top: [], similarity: Number.NEGATIVE_INFINITY, margin: Number.NEGATIVE_INFINITY };
    const top = gallery.searchPeople(l.vector, 5);
    const s1 = (top[0] as { similarity: number }).similarity;
    const out = { truth: l.personId, top: top.map((t) => t.personId), similarity: s1, margin: s1 - (top[1]?.similarity ?? -1) };
    if (!cohort) return out;
    // the matcher's own normalisation, with a rule that accepts everything: only the scores are wanted
    const d = gallery.decide(l.vector, { scoreNorm: { cohort, threshold: Number.MIN_SAFE_INTEGER, minMargin: 0 } });
    if (!d.normalized) throw new Error("cohort normalisation did not run");
    return { ...out, norm: { score: d.normalized.score, margin: d.normalized.margin } };
  };
  return {
    galleryPeople: gallery.personCount,
    galleryTemplates: gallery.size,
    mated: input.probes.map(search),
    nonMated: input.impostors.map(search),
  };
}

/** Rates of one decision rule: name the best person when similarity >= threshold and margin >= minMargin (> 0). */
export interface DecisionCounts {
  /** "norm": `threshold` and `minMargin` apply to the cohort-normalised score and margin. */
  readonly score: ScoreKind;
  readonly threshold: number;
  readonly minMargin: number;
  /** Mated probes named as the right person (= DIR) / a wrong person / left unknown (fractions of mated probes). */
  readonly matedCorrect: number;
  readonly matedWrong: number;
  readonly matedUnknown: number;
  /** Non-mated probes named as someone (= FPIR). */
  readonly impostorAccepted: number;
}

/** The score and margin a decision of `kind` looks at (-Infinity when missing). */
function scoreOf(o: SearchOutcome, kind: ScoreKind): { score: number; margin: number } {
  if (kind === "raw") return { score: o.similarity, margin: o.margin };
  if (o.top.length === 0) return { score: Number.NEGATIVE_INFINITY, margin: Number.NEGATIVE_INFINITY };
  if (!o.norm) throw new RangeError("normalised scores need search outcomes computed with a cohort");
  return o.norm;
}

function accepts(o: SearchOutcome, threshold: number, minMargin: number, kind: ScoreKind): boolean {
  const { score, margin } = scoreOf(o, kind);
  return score >= threshold && margin >= minMargin && o.margin > 0;
}

/** The same rule as `Gallery.decide` (with `scoreNorm` for kind "norm"), applied to search outcomes. */
export function decisionRates(o: SearchOutcomes, threshold: number, minMargin: number, score: ScoreKind = "raw"): DecisionCounts {
  let correct = 0;
  let wrong = 0;
  for (const m of o.mated) {
    if (!accepts(m, threshold, minMargin, score)) continue;
    if (m.top[0] === m.truth) correct++;
    else wrong++;
  }
  const nM = o.mated.length;
  const accepted = o.nonMated.filter((m) => accepts(m, threshold, minMargin, score)).length;
  return {
    score,
    threshold,
    minMargin,
    matedCorrect: nM ? correct / nM : Number.NaN,
    matedWrong: nM ? wrong / nM : Number.NaN,
    matedUnknown: nM ? (nM - correct - wrong) / nM : Number.NaN,
    impostorAccepted: o.nonMated.length ? accepted / o.nonMated.length : Number.NaN,
  };
}

/** Threshold accepting at most floor(target * n) of the non-mated top scores (accept >= threshold). */
export function thresholdAtFpir(nonMatedTopScores: readonly number[], target: number): number {
  if (!(target >= 0 && target <= 1)) throw new RangeError(`FPIR target must be in [0, 1], got ${target}`);
  const s = nonMatedTopScores.filter((x) => Number.isFinite(x)).sort((a, b) => b - a);
  const allowed = Math.floor(target * nonMatedTopScores.length);
  if (allowed >= s.length) return Number.NEGATIVE_INFINITY;
  const v = s[allowed] as number;
  // a step above v that survives float32 rounding of the scores
  return v + Math.max(1e-7, Math.abs(v) * 1e-7);
}

export interface TunedDecision extends DecisionCounts {
  readonly targetFpir: number;
}

export interface TuneDecisionOptions {
  /** Largest FPIR allowed. Default 0.01. */
  targetFpir?: number;
  /** Margins tried. Default 0, 0.0025, ..., 0.06. */
  margins?: readonly number[];
  /** Tune the raw rule (default) or the cohort-normalised one. */
  score?: ScoreKind;
}

/**
 * The (threshold, minMargin) pair with the best DIR whose FPIR stays <= target: for each margin, the loosest
 * threshold within the FPIR budget (exact, from the non-mated scores); ties keep the smaller margin.
 */
export function tuneDecision(o: SearchOutcomes, options: TuneDecisionOptions = {}): TunedDecision {
  const targetFpir = options.targetFpir ?? 0.01;
  const margins = options.margins ?? Array.from({ length: 25 }, (_, i) => i * 0.0025);
  const kind = options.score ?? "raw";
  let best: DecisionCounts | null = null;
  for (const mm of margins) {
    // non-mated probes that pass the margin test compete for the FPIR budget; the others are rejected anyway
    const scores = o.nonMated.map((n) => {
      const x = scoreOf(n, kind);
      return x.margin >= mm && n.margin > 0 ? x.score : Number.NEGATIVE_INFINITY;
    });
    const t = thresholdAtFpir(scores, targetFpir);
    const r = decisionRates(o, t, mm, kind);
    if (!best || r.matedCorrect > best.matedCorrect) best = r;
  }
  if (!best) throw new RangeError("tuneDecision needs at least one margin");
  return { ...best, targetFpir };
}

export interface FpirPoint {
  readonly targetFpir: number;
  /** Accept when the top score >= threshold (no margin rule). */
  readonly threshold: number;
  /** FPIR actually reached. */
  readonly fpir: number;
  readonly fnir: number;
  /** 1 - FNIR: mated probes named correctly at this threshold. */
  readonly dir: number;
}

export interface IdentificationMetrics {
  readonly galleryPeople: number;
  readonly galleryTemplates: number;
  readonly matedProbes: number;
  readonly nonMatedProbes: number;
  /** Mated / non-mated probes without an embedding. */
  readonly matedWithoutVector: number;
  readonly nonMatedWithoutVector: number;
  /** Closed-set accuracy of mated probes: right person first / in the top 5. */
  readonly rank1: number;
  readonly rank5: number;
  /** FNIR/DIR at the FPIR targets with a threshold on the top score only (empty without non-mated probes). */
  readonly atFpir: readonly FpirPoint[];
  /** The same with a threshold on the cohort-normalised score only (outcomes searched with a cohort; else empty). */
  readonly atFpirNorm: readonly FpirPoint[];
  /** The matcher's decisions at the requested (threshold, minMargin) pairs. */
  readonly decisions: readonly DecisionCounts[];
}

export interface IdentificationMetricOptions {
  /** Default [0.001, 0.01, 0.1]. */
  fpirTargets?: readonly number[];
  /** Decision rules to evaluate. Default none. */
  decisions?: readonly { readonly threshold: number; readonly minMargin: number; readonly score?: ScoreKind }[];
}

export function identificationMetrics(o: SearchOutcomes, options: IdentificationMetricOptions = {}): IdentificationMetrics {
  const nM = o.mated.length;
  const rank1 = nM ? o.mated.filter((m) => m.top[0] === m.truth).length / nM : Number.NaN;
  const rank5 = nM ? o.mated.filter((m) => m.top.includes(m.truth)).length / nM : Number.NaN;
  const fpirPoints = (kind: ScoreKind): FpirPoint[] => {
    const out: FpirPoint[] = [];
    if (!o.nonMated.length) return out;
    const impTop = o.nonMated.map((m) => scoreOf(m, kind).score);
    for (const target of options.fpirTargets ?? [0.001, 0.01, 0.1]) {
      const threshold = thresholdAtFpir(impTop, target);
      const fpir = impTop.filter((s) => s >= threshold).length / impTop.length;
      const dir = nM
        ? o.mated.filter((m) => m.top[0] === m.truth && scoreOf(m, kind).score >= threshold).length / nM
        : Number.NaN;
      out.push({ targetFpir: target, threshold, fpir, fnir: 1 - dir, dir });
    }
    return out;
  };
  const hasNorm = [...o.mated, ...o.nonMated].some((m) => m.norm !== undefined);
  return {
    galleryPeople: o.galleryPeople,
    galleryTemplates: o.galleryTemplates,
    matedProbes: nM,
    nonMatedProbes: o.nonMated.length,
    matedWithoutVector: o.mated.filter((m) => m.top.length === 0).length,
    nonMatedWithoutVector: o.nonMated.filter((m) => m.top.length === 0).length,
    rank1,
    rank5,
    atFpir: fpirPoints("raw"),
    atFpirNorm: hasNorm ? fpirPoints("norm") : [],
    decisions: (options.decisions ?? []).map((d) => decisionRates(o, d.threshold, d.minMargin, d.score ?? "raw")),
  };
}

/** `searchOutcomes` + `identificationMetrics`. */
export function computeIdentification(
  input: IdentificationInput,
  options: IdentificationMetricOptions = {},
): IdentificationMetrics {
  return identificationMetrics(searchOutcomes(input), options);
}
