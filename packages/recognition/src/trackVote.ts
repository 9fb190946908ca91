/**
 * Per-track voting, pure. A track is the unit of identity: a name is given only when enough of its shots agree
 * (Frigate-style: a minimum of agreeing faces, ties never named, a stricter bar for naming than for "probably").
 * The state is shared by recognizer replicas through a compare-and-set KV entry, so it is plain JSON.
 */

export interface VoteOptions {
  /** Cosine similarity at or above which one shot counts as a vote for a person. */
  nameThreshold: number;
  /** Similarity at or above which a single shot is reported as "probable" (below nameThreshold). */
  probableThreshold: number;
  /** Minimum lead over the best other person for a shot to count. */
  minMargin: number;
  /** Votes a person needs to be confirmed for the track. */
  minAgreeing: number;
  /** Share of the track's named votes the winner needs. */
  minShare: number;
  /** A track with a single shot is confirmed only at this similarity or above. */
  singleShotThreshold: number;
  /** Unknown shots a track needs before it is concluded "unknown" rather than "undecided". */
  minUnknownShots: number;
  /**
   * Track fusion: the mean of the track's shot embeddings is matched like one probe, and names the track when it
   * reaches `nameThreshold` with `minMargin`, over at least this many shots, and no shot voted for anyone else.
   * Averaging frames cancels per-frame noise (blur, pose, compression) the way template aggregation does in IJB
   * protocols; a low-resolution clip whose single shots sit just under the open-set threshold is named this way.
   * 0 turns fusion off.
   */
  fusedMinShots: number;
}

/** What one shot matched, before voting. */
export interface ShotMatch {
  /** The best person, if any is enrolled. */
  best: Match | null;
  /** The shot's L2-normalised embedding, for track fusion (optional). */
  embedding?: ArrayLike<number>;
}

export interface Match {
  personId: string;
  name: string;
  similarity: number;
  margin: number;
}

/** Matches a unit vector against the gallery (the track's fused embedding). */
export type FusedMatcher = (probe: Float32Array) => Match | null;

export type ShotOutcome =
  | {
      kind: "recognized";
      personId: string;
      name: string;
      similarity: number;
      margin: number;
      decision: "confirmed" | "probable";
      agreeing: number;
      total: number;
    }
  | { kind: "unknown"; bestSimilarity: number; bestPersonId: string | null };

export interface Tally {
  votes: number;
  bestSimilarity: number;
  name: string;
}

export interface TrackVoteState {
  cameraId: string;
  trackId: string;
  /** Outcome of each processed detection (by detection id), so a redelivered detection gets the same answer. */
  shots: Record<string, ShotOutcome>;
  processed: number;
  tally: Record<string, Tally>;
  unknownVotes: number;
  /** Best similarity to anyone over all shots. */
  bestSimilarity: number;
  /** Sum of the shots' unit embeddings (track fusion); absent in states written before fusion. */
  embeddingSum?: number[];
  fusedShots?: number;
  /** The fused embedding's best match after the latest shot. */
  fused?: Match | null;
  ended: { startedAt: string; endedAt: string; frames: number; shots: number; bestQuality: number } | null;
  concluded: boolean;
  /**
   * Capture times of the earliest and latest processed shot and their best quality (absent in states written before):
   * what a track whose FaceTrackEnded never came (its camera was killed) is concluded with (`orphanEnd`).
   */
  seen?: { first: string; last: string; bestQuality: number };
}

export type TrackDecision =
  | {
      kind: "recognized";
      personId: string;
      name: string;
      similarity: number;
      agreeing: number;
      total: number;
      /** "votes": enough single shots agreed; "fused": the track's mean embedding matched. */
      by: "votes" | "fused";
    }
  | { kind: "unknown"; bestSimilarity: number }
  | { kind: "undecided"; reason: string };

/** Detection outcomes remembered per track (for idempotent redelivery); older ones are forgotten. */
export const MAX_REMEMBERED_SHOTS = 500;

export function newTrackState(cameraId: string, trackId: string): TrackVoteState {
  return {
    cameraId,
    trackId,
    shots: {},
    processed: 0,
    tally: {},
    unknownVotes: 0,
    bestSimilarity: -1,
    ended: null,
    concluded: false,
  };
}

function namedVotes(s: TrackVoteState): number {
  let n = 0;
  for (const t of Object.values(s.tally)) n += t.votes;
  return n;
}

/** The track's current vote: who (if anyone) it confirms. */
export function decideTrack(s: TrackVoteState, o: VoteOptions): TrackDecision {
  const ranked = Object.entries(s.tally).sort((a, b) => b[1].votes - a[1].votes || b[1].bestSimilarity - a[1].bestSimilarity);
  const [first, second] = ranked;
  const named = namedVotes(s);
  if (first) {
    const [personId, t] = first;
    const total = named + s.unknownVotes;
    if (second && second[1].votes === t.votes) {
      return { kind: "undecided", reason: `tie between ${t.name} and ${second[1].name} (${t.votes} votes each)` };
    }
    const share = t.votes / named;
    const singleShot = total === 1 && t.votes === 1 && t.bestSimilarity >= o.singleShotThreshold && s.ended !== null;
    if ((t.votes >= o.minAgreeing || singleShot) && share >= o.minShare) {
      return { kind: "recognized", personId, name: t.name, similarity: t.bestSimilarity, agreeing: t.votes, total, by: "votes" };
    }
    const fused = fusedDecision(s, o);
    if (fused) return fused;
    if (s.unknownVotes >= o.minUnknownShots && s.unknownVotes > named)
      return { kind: "unknown", bestSimilarity: s.bestSimilarity };
    return {
      kind: "undecided",
      reason: `${t.votes} of ${total} shot(s) named ${t.name}; ${o.minAgreeing} agreeing and a ${Math.round(o.minShare * 100)}% share needed`,
    };
  }
  const fused = fusedDecision(s, o);
  if (fused) return fused;
  if (s.unknownVotes >= o.minUnknownShots) return { kind: "unknown", bestSimilarity: s.bestSimilarity };
  return { kind: "undecided", reason: s.processed === 0 ? "no shot was processed" : "too few shots" };
}

/** The track named by its fused embedding, when fusion is on, has enough shots and no shot named anyone else. */
function fusedDecision(s: TrackVoteState, o: VoteOptions): Extract<TrackDecision, { kind: "recognized" }> | null {
  const f = s.fused;
  const shots = s.fusedShots ?? 0;
  if (o.fusedMinShots <= 0 || !f || shots < o.fusedMinShots) return null;
  if (f.similarity < o.nameThreshold || f.margin < o.minMargin) return null;
  if (Object.keys(s.tally).some((id) => id !== f.personId)) return null;
  return {
    kind: "recognized",
    personId: f.personId,
    name: f.name,
    similarity: f.similarity,
    agreeing: shots,
    total: s.processed,
    by: "fused",
  };
}

/** Adds a shot's embedding to the track's sum and re-matches the normalised mean. */
function fuse(s: TrackVoteState, embedding: ArrayLike<number>, match: FusedMatcher): void {
  const n = embedding.length;
  let sum = s.embeddingSum;
  if (!sum || sum.length !== n) {
    sum = new Array<number>(n).fill(0);
    s.fusedShots = 0;
  }
  let norm = 0;
  for (let i = 0; i < n; i++) norm += (embedding[i] as number) ** 2;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < n; i++) sum[i] = (sum[i] as number) + (embedding[i] as number) * inv;
  s.embeddingSum = sum.map((v) => Math.round(v * 1e6) / 1e6);
  s.fusedShots = (s.fusedShots ?? 0) + 1;
  let total = 0;
  for (const v of s.embeddingSum) total += v * v;
  const probe = new Float32Array(n);
  const k = total > 0 ? 1 / Math.sqrt(total) : 0;
  for (let i = 0; i < n; i++) probe[i] = (s.embeddingSum[i] as number) * k;
  s.fused = match(probe);
}

/**
 * Adds one shot (idempotent by detection id) and returns its outcome: "confirmed" when the track's vote names the
 * person, "probable" when only this shot points at someone, "unknown" otherwise.
 */
export function addShot(
  s: TrackVoteState,
  detectionId: string,
  m: ShotMatch,
  o: VoteOptions,
  matchFused?: FusedMatcher,
): ShotOutcome {
  const existing = s.shots[detectionId];
  if (existing) return existing;
  s.processed++;
  if (m.embedding && matchFused && o.fusedMinShots > 0) fuse(s, m.embedding, matchFused);
  const b = m.best;
  if (b) s.bestSimilarity = Math.max(s.bestSimilarity, b.similarity);
  const votes = b !== null && b.similarity >= o.nameThreshold && b.margin >= o.minMargin;
  if (b && votes) {
    const t = s.tally[b.personId] ?? { votes: 0, bestSimilarity: -1, name: b.name };
    t.votes++;
    t.bestSimilarity = Math.max(t.bestSimilarity, b.similarity);
    t.name = b.name;
    s.tally[b.personId] = t;
  } else {
    s.unknownVotes++;
  }
  const track = decideTrack(s, o);
  let outcome: ShotOutcome;
  if (track.kind === "recognized") {
    const sim = b && b.personId === track.personId ? b.similarity : (b?.similarity ?? -1);
    outcome = {
      kind: "recognized",
      personId: track.personId,
      name: track.name,
      similarity: sim,
      margin: b?.margin ?? 0,
      decision: "confirmed",
      agreeing: track.agreeing,
      total: track.total,
    };
  } else if (b && b.similarity >= o.probableThreshold && b.margin >= o.minMargin) {
    outcome = {
      kind: "recognized",
      personId: b.personId,
      name: b.name,
      similarity: b.similarity,
      margin: b.margin,
      decision: "probable",
      agreeing: s.tally[b.personId]?.votes ?? 0,
      total: s.processed,
    };
  } else {
    outcome = { kind: "unknown", bestSimilarity: b?.similarity ?? -1, bestPersonId: b?.personId ?? null };
  }
  s.shots[detectionId] = outcome;
  // bound the state of very long tracks: the oldest outcomes go (their votes stay in the tally)
  const ids = Object.keys(s.shots);
  for (let i = 0; i < ids.length - MAX_REMEMBERED_SHOTS; i++) delete s.shots[ids[i] as string];
  return outcome;
}

/** Records a processed shot's capture time and quality in `s.seen` (ISO times compare as strings). */
export function noteShotFrame(s: TrackVoteState, frameAt: string, quality: number): void {
  const seen = s.seen;
  if (!seen) {
    s.seen = { first: frameAt, last: frameAt, bestQuality: quality };
    return;
  }
  if (frameAt < seen.first) seen.first = frameAt;
  if (frameAt > seen.last) seen.last = frameAt;
  seen.bestQuality = Math.max(seen.bestQuality, quality);
}

/**
 * The end a track is given when its camera's FaceTrackEnded never came (the camera was killed, or it was lost):
 * it spans the shots that arrived, and counts only them, so it concludes with what it has.
 */
export function orphanEnd(s: TrackVoteState, fallbackTime: string): NonNullable<TrackVoteState["ended"]> {
  return {
    startedAt: s.seen?.first ?? fallbackTime,
    endedAt: s.seen?.last ?? fallbackTime,
    frames: 0,
    shots: s.processed,
    bestQuality: s.seen?.bestQuality ?? 0,
  };
}

/** True when the camera said the track ended and every shot it published has been processed. */
export function readyToConclude(s: TrackVoteState): boolean {
  return s.ended !== null && !s.concluded && s.processed >= s.ended.shots;
}
