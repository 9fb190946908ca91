/** Settings of gallery growth and unknown visitors (part of the trainer's config schema). */
import { CLUSTER_DEFAULTS, GROWTH_DEFAULTS, type GrowthOptions, checkGrowthOptions } from "@persona/recognition";
import { env } from "@persona/runtime";
import { DEFAULT_EMBEDDER_MODEL, embedderSpec, type SelfLearningThresholds } from "@persona/vision";
import { z } from "zod";
import { VISITOR_DEFAULTS, type VisitorOptions } from "../visitors/book.ts";

const G = GROWTH_DEFAULTS;

export const selfLearningConfigShape = {
  /** Gallery growth on/off. */
  GROWTH_ENABLED: env.bool(true),
  /** The recognizer's embedding model and flip setting (RECOGNIZER_MODEL / RECOGNIZER_FLIP): templates must match. */
  GROWTH_MODEL: z.string().default(DEFAULT_EMBEDDER_MODEL),
  /** Must equal the recognizers' RECOGNIZER_FLIP: growth and the visitor book use only templates and unknown faces of
   * GROWTH_MODEL with this flip, so a mismatch quietly stops both (their /readyz counters show the skips). */
  GROWTH_FLIP: env.bool(true),
  /** Default: the model's own (`selfLearning` of its spec in @persona/vision). */
  GROWTH_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).optional(),
  /** The crop must match its person better than any other person by this much (cosine). One default for every model
   * (tuned for dlib-resnet29), unlike GROWTH_MIN_SIMILARITY. */
  GROWTH_MIN_MARGIN: env.num(G.minMargin, 0, 2),
  /** The face's quality score (the camera's, 0..1) a recognition needs before its crop may become a template. */
  GROWTH_MIN_QUALITY: env.num(G.minQuality, 0, 1),
  /** Agreeing shots the recognizer's confirmed vote must have had for its face to be learned from. */
  GROWTH_MIN_VOTES: env.int(G.minVotes, 1, 100),
  /** Default: the model's own. */
  GROWTH_DEDUPE_SIMILARITY: z.coerce.number().min(-1).max(1).optional(),
  /** Self-learned templates kept per person; beyond it the one most similar to another of the person's templates
   * is retired (enrollment and operator templates never are). */
  GROWTH_MAX_TEMPLATES: env.int(G.maxSelfLearned, 1, 1000),
  /** Self-learned templates added per person within any hour (by the faces' frame times): how fast a gallery may
   * change. */
  GROWTH_MAX_PER_HOUR: env.int(G.maxPerHour, 1, 10000),
  /** -1 = off: see GrowthOptions.minAnchorSimilarity */
  GROWTH_MIN_ANCHOR_SIMILARITY: env.num(G.minAnchorSimilarity, -1, 1),
  /** Unknown-visitor clustering on/off. */
  VISITORS_ENABLED: env.bool(true),
  /** An unknown face is a core face of a cluster when this many unknown faces (itself included) lie within
   * VISITORS_MAX_DISTANCE: higher gives fewer, surer visitors. */
  VISITORS_MIN_FACES: env.int(CLUSTER_DEFAULTS.minFaces, 2, 1000),
  /** Default: the model's own (cosine distance). */
  VISITORS_MAX_DISTANCE: z.coerce.number().min(0.001).max(1.999).optional(),
  /** Unknown faces held for clustering; over it the oldest faces in no cluster are forgotten. Clustered faces never
   * are, so it is not a hard bound. */
  VISITORS_MAX_FACES: env.int(CLUSTER_DEFAULTS.maxFaces, 100, 10_000_000),
  /** Distinct tracks a cluster needs to become a visitor (published, listed in the console and the bot): one stay
   * split into two tracks already counts as two visits. */
  VISITORS_MIN_VISITS: env.int(VISITOR_DEFAULTS.minVisits, 1, 1000),
  /** Best faces (by quality) in a visitor's summary, shown to operators and enrolled as templates when the visitor
   * is named. */
  VISITORS_BEST_CROPS: env.int(VISITOR_DEFAULTS.bestCrops, 1, 8),
  /**
   * A visitor not seen for this many days is forgotten with its faces' embeddings (ignored visitors are kept), and so
   * are faces in no cluster older than that; the cleaner drops it from the read model with RETENTION_VISITORS_DAYS.
   * 0 = keep (up to VISITORS_MAX_FACES).
   */
  VISITORS_RETENTION_DAYS: env.int(30, 0, 3650),
};

const selfLearningSchema = z.object(selfLearningConfigShape);
type SelfLearningConfig = z.infer<typeof selfLearningSchema>;

/**
 * The self-learning similarities of `model` (its spec's `selfLearning`), or a clear error naming the settings to give
 * when nobody measured them for it.
 */
export function modelSelfLearning(model: string): SelfLearningThresholds {
  const t = embedderSpec(model).selfLearning;
  if (!t) {
    throw new RangeError(
      `no self-learning thresholds were measured for ${model}: set GROWTH_MIN_SIMILARITY, GROWTH_DEDUPE_SIMILARITY and VISITORS_MAX_DISTANCE (persona eval selflearn measures them)`,
    );
  }
  return t;
}

const ownOr = (v: number | undefined, model: string, pick: (t: SelfLearningThresholds) => number): number =>
  v ?? pick(modelSelfLearning(model));

export function growthOptions(c: SelfLearningConfig): GrowthOptions {
  return checkGrowthOptions({
    minSimilarity: ownOr(c.GROWTH_MIN_SIMILARITY, c.GROWTH_MODEL, (t) => t.growthMinSimilarity),
    minMargin: c.GROWTH_MIN_MARGIN,
    minQuality: c.GROWTH_MIN_QUALITY,
    minVotes: c.GROWTH_MIN_VOTES,
    dedupeSimilarity: ownOr(c.GROWTH_DEDUPE_SIMILARITY, c.GROWTH_MODEL, (t) => t.growthDedupeSimilarity),
    maxSelfLearned: c.GROWTH_MAX_TEMPLATES,
    maxPerHour: c.GROWTH_MAX_PER_HOUR,
    minAnchorSimilarity: c.GROWTH_MIN_ANCHOR_SIMILARITY,
  });
}

export function visitorOptions(c: SelfLearningConfig): VisitorOptions {
  return {
    cluster: {
      minFaces: c.VISITORS_MIN_FACES,
      maxDistance: ownOr(c.VISITORS_MAX_DISTANCE, c.GROWTH_MODEL, (t) => t.visitorsMaxDistance),
      maxFaces: c.VISITORS_MAX_FACES,
    },
    minVisits: c.VISITORS_MIN_VISITS,
    bestCrops: c.VISITORS_BEST_CROPS,
    retentionMs: c.VISITORS_RETENTION_DAYS === 0 ? null : c.VISITORS_RETENTION_DAYS * 24 * 60 * 60 * 1000,
  };
}
