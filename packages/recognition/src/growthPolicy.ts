/**
 * Gallery growth, pure: whether a confirmed recognition may add a template to that person's gallery, and which
 * self-learned template to retire when the person already has as many as allowed. No I/O; the trainer's consumer
 * and `persona eval selflearn` run exactly this code.
 *
 * The trainer does not trust the recognition's own numbers: it embeds the crop itself and matches it against its
 * own copy of the library (`GrowthGallery`), so the similarity, the margin over the runner-up and the near-duplicate
 * check are all measured here, against every person's current templates (self-learned ones included).
 */
import { Gallery } from "@persona/vision";
import { dot, unitCopy } from "./vectors.ts";

export interface GrowthOptions {
  /** The crop must match the claimed person at least this well (stricter than the naming threshold). */
  minSimilarity: number;
  /** ... with at least this lead over the best other person. */
  minMargin: number;
  /** Minimum face quality score (0..1). */
  minQuality: number;
  /** Agreeing shots the track's vote must have had. */
  minVotes: number;
  /** Near-duplicate: a crop this similar (or more) to one of the person's templates adds nothing and is skipped. */
  dedupeSimilarity: number;
  /** Self-learned templates kept per person; the least useful one is retired beyond this. */
  maxSelfLearned: number;
  /** Self-learned additions per person per hour. */
  maxPerHour: number;
  /**
   * Anchor: the crop must also be at least this similar to one of the person's enrollment or operator templates,
   * so self-learned templates cannot drift away step by step (each new one only near the previous). -1 = off.
   */
  minAnchorSimilarity: number;
}

/**
 * Defaults for dlib-resnet29, one crop without flip (the recognizer's default mode; naming threshold 0.9406), chosen
 * with `persona eval selflearn` on LFW (services/trainer/README.md has the numbers).
 */
export const GROWTH_DEFAULTS: GrowthOptions = {
  minSimilarity: 0.945,
  minMargin: 0.04,
  minQuality: 0.4,
  minVotes: 2,
  dedupeSimilarity: 0.985,
  maxSelfLearned: 20,
  maxPerHour: 6,
  minAnchorSimilarity: -1,
};

export function checkGrowthOptions(o: GrowthOptions): GrowthOptions {
  if (!(o.dedupeSimilarity > o.minSimilarity))
    throw new RangeError(`dedupeSimilarity (${o.dedupeSimilarity}) must be above minSimilarity (${o.minSimilarity})`);
  if (!(o.minMargin >= 0)) throw new RangeError(`minMargin must be >= 0, got ${o.minMargin}`);
  if (!Number.isInteger(o.maxSelfLearned) || o.maxSelfLearned < 1)
    throw new RangeError(`maxSelfLearned must be a positive integer, got ${o.maxSelfLearned}`);
  if (!Number.isInteger(o.maxPerHour) || o.maxPerHour < 1)
    throw new RangeError(`maxPerHour must be a positive integer, got ${o.maxPerHour}`);
  return o;
}

/** What a recognition says about a face (from FaceRecognized). */
export interface GrowthCandidate {
  /** The person the recognizer named. */
  personId: string;
  decision: "confirmed" | "probable";
  votes: { agreeing: number; total: number };
  /** Quality score 0..1. */
  quality: number;
  /** When the face was seen (ms since the epoch); the rate limit counts in this clock. */
  at: number;
}

export type GrowthRejection =
  | "not-confirmed"
  | "few-votes"
  | "low-quality"
  | "unknown-person"
  | "other-person"
  | "low-similarity"
  | "low-margin"
  | "near-duplicate"
  | "drifted"
  | "rate-limited";

export type GrowthDecision =
  | {
      accept: true;
      personId: string;
      similarity: number;
      margin: number;
      /** Self-learned templates to retire so the person stays within `maxSelfLearned` (oldest/most redundant). */
      retire: string[];
    }
  | { accept: false; reason: GrowthRejection; detail: string; similarity: number | null; margin: number | null };

export interface TemplateInfo {
  personId: string;
  selfLearned: boolean;
  /** ms since the epoch */
  addedAt: number;
}

/**
 * The trainer's view of the library for growth: every person's templates (one model) in a searchable gallery, which
 * of them were self-learned and when, and the recent self-learned additions per person (rate limit).
 */
export class GrowthGallery {
  readonly gallery: Gallery;
  readonly #info = new Map<string, TemplateInfo>();
  /** personId -> times (ms) of self-learned additions, for the hourly rate limit (pruned as it goes). */
  readonly #recent = new Map<string, number[]>();

  constructor(dims: number) {
    this.gallery = new Gallery({ dims });
  }

  get size(): number {
    return this.gallery.size;
  }

  has(templateId: string): boolean {
    return this.#info.has(templateId);
  }

  info(templateId: string): TemplateInfo | undefined {
    return this.#info.get(templateId);
  }

  /** Adds a template (idempotent by id). A self-learned one counts towards its person's hourly rate. */
  add(templateId: string, personId: string, embedding: ArrayLike<number>, info: Omit<TemplateInfo, "personId">): void {
    if (this.#info.has(templateId)) return;
    this.gallery.add(personId, embedding, templateId);
    this.#info.set(templateId, { personId, ...info });
    if (info.selfLearned) {
      const times = this.#recent.get(personId) ?? [];
      times.push(info.addedAt);
      this.#recent.set(personId, times);
    }
  }

  remove(templateId: string): void {
    if (!this.#info.delete(templateId)) return;
    this.gallery.removeTemplate(templateId);
  }

  removePerson(personId: string): void {
    for (const id of this.gallery.templatesOf(personId)) this.#info.delete(id);
    this.gallery.removePerson(personId);
    this.#recent.delete(personId);
  }

  selfLearnedOf(personId: string): string[] {
    return this.gallery.templatesOf(personId).filter((id) => this.#info.get(id)?.selfLearned === true);
  }

  /** Self-learned additions for the person in the hour before `at` (inclusive window (at - 1h, at]). */
  additionsInHour(personId: string, at: number): number {
    const times = this.#recent.get(personId);
    if (!times) return 0;
    const from = at - 3_600_000;
    const kept = times.filter((t) => t > from - 3_600_000); // keep a second hour for out-of-order events
    this.#recent.set(personId, kept);
    return kept.filter((t) => t > from && t <= at).length;
  }
}

/**
 * The checks that need no embedding (so a consumer can skip decoding and embedding most recognitions): the track
 * was confirmed with enough votes, the face is good enough, the person has templates. Null when they pass.
 */
export function precheckGrowth(
  g: GrowthGallery,
  c: GrowthCandidate,
  o: GrowthOptions,
): Extract<GrowthDecision, { accept: false }> | null {
  const no = (reason: GrowthRejection, detail: string) =>
    ({ accept: false, reason, detail, similarity: null, margin: null }) as const;
  if (c.decision !== "confirmed") return no("not-confirmed", `decision ${c.decision}`);
  if (c.votes.agreeing < o.minVotes) return no("few-votes", `${c.votes.agreeing} agreeing vote(s), ${o.minVotes} needed`);
  if (!(c.quality >= o.minQuality)) return no("low-quality", `quality ${c.quality.toFixed(3)} < ${o.minQuality}`);
  if (!g.gallery.hasPerson(c.personId)) return no("unknown-person", `${c.personId} has no template here`);
  return null;
}

/**
 * Decides whether `embedding` (the crop of a recognition, embedded by the trainer) may become a template of
 * `c.personId`. Checks, in order: the recognizer confirmed the track with enough votes; the face is good enough;
 * the trainer's own match names the same person, well above the naming threshold and with a clear lead over the
 * runner-up; the crop is not a near-duplicate of one of the person's templates; the person's hourly rate.
 */
export function decideGrowth(
  g: GrowthGallery,
  c: GrowthCandidate,
  embedding: ArrayLike<number>,
  o: GrowthOptions,
): GrowthDecision {
  const no = (reason: GrowthRejection, detail: string, similarity: number | null = null, margin: number | null = null) =>
    ({ accept: false, reason, detail, similarity, margin }) as const;
  const pre = precheckGrowth(g, c, o);
  if (pre) return pre;
  const [best, runnerUp] = g.gallery.searchPeople(embedding, 2);
  if (!best) return no("unknown-person", "empty gallery");
  const margin = best.similarity - (runnerUp ? runnerUp.similarity : -1);
  if (best.personId !== c.personId)
    return no("other-person", `the crop matches ${best.personId} best (${best.similarity.toFixed(4)})`, null, margin);
  const sim = best.similarity;
  // the person's similarity is its best template's: at or above dedupeSimilarity the crop repeats that template
  if (sim >= o.dedupeSimilarity)
    return no(
      "near-duplicate",
      `similarity ${sim.toFixed(4)} to template ${best.templateId} >= ${o.dedupeSimilarity}`,
      sim,
      margin,
    );
  if (sim < o.minSimilarity) return no("low-similarity", `similarity ${sim.toFixed(4)} < ${o.minSimilarity}`, sim, margin);
  if (margin < o.minMargin)
    return no("low-margin", `margin ${margin.toFixed(4)} over ${runnerUp?.personId} < ${o.minMargin}`, sim, margin);
  if (o.minAnchorSimilarity > -1) {
    const anchor = anchorSimilarity(g, c.personId, embedding);
    if (anchor < o.minAnchorSimilarity)
      return no("drifted", `similarity ${anchor.toFixed(4)} to the enrolled templates < ${o.minAnchorSimilarity}`, sim, margin);
  }
  const recent = g.additionsInHour(c.personId, c.at);
  if (recent >= o.maxPerHour) return no("rate-limited", `${recent} addition(s) in the last hour`, sim, margin);
  return { accept: true, personId: c.personId, similarity: sim, margin, retire: toRetire(g, c.personId, embedding, o) };
}

/**
 * Self-learned templates to retire when one more is added: while the person would exceed `maxSelfLearned`, the
 * self-learned template most similar to another of the person's templates (the new one included) goes first, as it
 * adds the least diversity; ties go to the oldest. Enrollment and operator templates are never retired.
 */
export function toRetire(g: GrowthGallery, personId: string, incoming: ArrayLike<number>, o: GrowthOptions): string[] {
  const self = g.selfLearnedOf(personId);
  const excess = self.length + 1 - o.maxSelfLearned;
  if (excess <= 0) return [];
  const all = g.gallery.templatesOf(personId);
  const vec = new Map<string, Float32Array>();
  for (const id of all) vec.set(id, g.gallery.getTemplate(id) as Float32Array);
  const inc = unitCopy(incoming).unit;
  const out: string[] = [];
  const alive = new Set(all);
  for (let k = 0; k < excess; k++) {
    let pick: string | null = null;
    let pickScore = Number.NEGATIVE_INFINITY;
    let pickAt = Number.POSITIVE_INFINITY;
    for (const id of self) {
      if (!alive.has(id)) continue;
      const v = vec.get(id) as Float32Array;
      let nearest = dot(v, inc);
      for (const other of alive) if (other !== id) nearest = Math.max(nearest, dot(v, vec.get(other) as Float32Array));
      const at = g.info(id)?.addedAt ?? 0;
      if (nearest > pickScore + 1e-9 || (Math.abs(nearest - pickScore) <= 1e-9 && at < pickAt)) {
        pick = id;
        pickScore = nearest;
        pickAt = at;
      }
    }
    if (pick === null) break;
    alive.delete(pick);
    out.push(pick);
  }
  return out;
}

/** Best similarity of a probe to the person's enrollment and operator templates (-1 when there are none). */
export function anchorSimilarity(g: GrowthGallery, personId: string, probe: ArrayLike<number>): number {
  const p = unitCopy(probe).unit;
  let best = -1;
  for (const id of g.gallery.templatesOf(personId)) {
    if (g.info(id)?.selfLearned !== false) continue;
    best = Math.max(best, dot(p, g.gallery.getTemplate(id) as Float32Array));
  }
  return best;
}
