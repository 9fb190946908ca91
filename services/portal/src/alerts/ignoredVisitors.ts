/**
 * Recognising an ignored visitor again, pure: an unknown face belongs to an ignored visitor when its embedding's
 * cosine similarity to any of the visitor's best-crop embeddings (the trainer's VisitorClustered/VisitorUpdated
 * carry them) reaches a threshold. Only embeddings of the same model (and length) are compared.
 *
 * The default threshold is the embedding model's open-set naming threshold, the one the recognizer names a person at
 * (services/recognizer/src/recognizer.ts `voteOptions`: `EMBEDDER_MODELS[model].thresholds[single|flip].openSet`
 * in @persona/vision). The portal does not load @persona/vision at run time (onnxruntime and sharp, about 300 MB,
 * would come with it into the portal's image), so the measured values are mirrored in `OPEN_SET_THRESHOLDS`, and
 * `ignoredVisitors.test.ts` fails when they drift from the model specs. `ALERTS_IGNORED_VISITOR_MIN_SIMILARITY`
 * overrides them for every model.
 */

export interface FaceEmbedding {
  /** The model name as the recognizer records it: the spec's name, with "+flip" when flip fusion is on. */
  model: string;
  vector: Float32Array;
}

export interface IgnoredVisitorFaces {
  visitorId: string;
  faces: FaceEmbedding[];
}

export interface IgnoredVisitorMatch {
  visitorId: string;
  similarity: number;
}

/** Open-set naming thresholds (cosine similarity) per built-in embedder and mode, as in @persona/vision's specs. */
export const OPEN_SET_THRESHOLDS: Readonly<Record<string, { single: number; flip: number }>> = {
  fr_feature: { single: 0.4398, flip: 0.4389 },
  "dlib-resnet29": { single: 0.9406, flip: 0.9441 },
  faceres: { single: 0.6978, flip: 0.7022 },
  "faceres-deep": { single: 0.7488, flip: 0.7702 },
  mobileface: { single: 0.5189, flip: 0.5228 },
};

/** The default threshold of an embedding's model ("dlib-resnet29", "dlib-resnet29+flip"...), or null when unknown. */
export function openSetThreshold(model: string): number | null {
  const flip = model.endsWith("+flip");
  const t = OPEN_SET_THRESHOLDS[flip ? model.slice(0, -"+flip".length) : model];
  return t === undefined ? null : flip ? t.flip : t.single;
}

/** Cosine similarity (the recognizer's embeddings are unit length, but a stored one need not be trusted to be). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) return Number.NaN;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? Number.NaN : dot / Math.sqrt(na * nb);
}

/**
 * The ignored visitor a face belongs to: the one with the most similar best-crop embedding of the face's model, if
 * that similarity is at least `minSimilarity` (a number for every model, or the model's default when null). Null
 * when none reaches it, or when the model has no known threshold and none is given.
 */
export function matchIgnoredVisitor(
  face: FaceEmbedding,
  visitors: readonly IgnoredVisitorFaces[],
  minSimilarity: number | null = null,
): IgnoredVisitorMatch | null {
  const threshold = minSimilarity ?? openSetThreshold(face.model);
  if (threshold === null) return null;
  let best: IgnoredVisitorMatch | null = null;
  for (const v of visitors) {
    for (const f of v.faces) {
      if (f.model !== face.model || f.vector.length !== face.vector.length) continue;
      const s = cosineSimilarity(face.vector, f.vector);
      if (s >= threshold && (best === null || s > best.similarity)) best = { visitorId: v.visitorId, similarity: s };
    }
  }
  return best;
}
