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
}

/** What one shot matched, before voting. */
export interface ShotMatch {
  /** The best person, if any is enrolled. */
  best: { personId: string; name: string; similarity: number; margin: number } | null;
}

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
  ended: { startedAt: string; endedAt: string; frames: number; shots: number; bestQuality: number } | null;
  concluded: boolean;
}

export type TrackDecision =
  | { kind: "recognized"; personId: string; name: string; similarity: number; agreeing: number; total: number }
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
      return { kind: "recognized", personId, name: t.name, similarity: t.bestSimilarity, agreeing: t.votes, total };
    }
    if (s.unknownVotes >= o.minUnknownShots && s.unknownVotes > named)
      return { kind: "unknown", bestSimilarity: s.bestSimilarity };
    return {
      kind: "undecided",
      reason: `${t.votes} of ${total} shot(s) named ${t.name}; ${o.minAgreeing} agreeing and a ${Math.round(o.minShare * 100)}% share needed`,
    };
  }
  if (s.unknownVotes >= o.minUnknownShots) return { kind: "unknown", bestSimilarity: s.bestSimilarity };
  return { kind: "undecided", reason: s.processed === 0 ? "no shot was processed" : "too few shots" };
}

/**
 * Adds one shot (idempotent by detection id) and returns its outcome: "confirmed" when the track's vote names the
 * person, "probable" when only this shot points at someone, "unknown" otherwise.
 */
export function addShot(s: TrackVoteState, detectionId: string, m: ShotMatch, o: VoteOptions): ShotOutcome {
  const existing = s.shots[detectionId];
  if (existing) return existing;
  s.processed++;
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

/** True when the camera said the track ended and every shot it published has been processed. */
export function readyToConclude(s: TrackVoteState): boolean {
  return s.ended !== null && !s.concluded && s.processed >= s.ended.shots;
}
