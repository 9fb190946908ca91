/**
 * Best-shot selection per track: which faces of a track are sent to the recognizers. Pure: the caller gives times.
 *
 * Policy:
 * - a face is a candidate when it passes the quality gate and its quality score is at least `minQuality`;
 * - the first candidate of a confirmed track is published at once (shot 1): a person is named as fast as possible;
 * - after that, at most one shot per `intervalMs`: the best candidate seen since the last published shot, published as
 *   soon as the interval has passed (so a person who stays gets a fresh, good view every interval, and the recognizer's
 *   vote sees several views, not the same frame twice);
 * - after `maxShotsPerTrack` shots, only a candidate better than every shot published so far is sent (a person sitting
 *   at a desk for an hour does not flood the recognizers), still at most one per interval;
 * - when the track ends, the pending candidate is sent if it beats every published shot (the track's best view is
 *   never lost to the interval).
 */

export interface BestShotOptions {
  /** At most one shot per track per this many ms (after the first). Default 1000. */
  intervalMs?: number;
  /** Minimum quality score (0..1) of a shot, on top of the gate. Default 0.3. */
  minQuality?: number;
  /** Shots per track after which only improvements are sent. Default 20. */
  maxShotsPerTrack?: number;
}

export const BEST_SHOT_DEFAULTS: Required<BestShotOptions> = { intervalMs: 1000, minQuality: 0.3, maxShotsPerTrack: 20 };

/** What the selector needs to know of a face; the rest (chip, box...) rides along untouched. */
export interface ShotCandidate {
  /** Combined quality score in [0, 1]. */
  readonly quality: number;
  /** Passed the quality gate. */
  readonly passes: boolean;
}

export interface Shot<T> {
  readonly trackId: string;
  /** 1, 2, 3, ... within the track. */
  readonly shot: number;
  readonly candidate: T;
}

export interface TrackShotStats {
  /** Frames observed. */
  readonly frames: number;
  /** Shots published. */
  readonly shots: number;
  /** Best quality score observed (any face of the track, gated or not). */
  readonly bestQuality: number;
}

interface TrackState<T> {
  frames: number;
  shots: number;
  lastShotAt: number;
  bestQuality: number;
  bestPublished: number;
  pending: T | null;
}

export class BestShotSelector<T extends ShotCandidate> {
  readonly options: Required<BestShotOptions>;
  #tracks = new Map<string, TrackState<T>>();

  constructor(options: BestShotOptions = {}) {
    this.options = { ...BEST_SHOT_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.intervalMs >= 0)) throw new RangeError("intervalMs must be >= 0");
    if (!(o.minQuality >= 0 && o.minQuality <= 1)) throw new RangeError("minQuality must be in [0, 1]");
    if (!(o.maxShotsPerTrack >= 1)) throw new RangeError("maxShotsPerTrack must be >= 1");
  }

  /** Tracks with state. */
  get size(): number {
    return this.#tracks.size;
  }

  /**
   * One face of a track in one frame at time `now` (ms). `publishable`: the track may publish (it is confirmed).
   * Returns the shot to publish now, or null.
   */
  observe(trackId: string, candidate: T, now: number, publishable: boolean): Shot<T> | null {
    let s = this.#tracks.get(trackId);
    if (!s) {
      s = { frames: 0, shots: 0, lastShotAt: Number.NEGATIVE_INFINITY, bestQuality: 0, bestPublished: 0, pending: null };
      this.#tracks.set(trackId, s);
    }
    s.frames++;
    s.bestQuality = Math.max(s.bestQuality, candidate.quality);
    if (candidate.passes && candidate.quality >= this.options.minQuality) {
      if (s.pending === null || candidate.quality > s.pending.quality) s.pending = candidate;
    }
    if (!publishable || s.pending === null) return null;
    if (s.shots > 0 && now - s.lastShotAt < this.options.intervalMs) return null;
    if (s.shots >= this.options.maxShotsPerTrack && s.pending.quality <= s.bestPublished) return null;
    return this.#publish(trackId, s, now);
  }

  /** The track ended: its last shot (if the pending candidate beats every published one) and its statistics. */
  end(trackId: string, publishable: boolean): { shot: Shot<T> | null; stats: TrackShotStats } {
    const s = this.#tracks.get(trackId);
    this.#tracks.delete(trackId);
    if (!s) return { shot: null, stats: { frames: 0, shots: 0, bestQuality: 0 } };
    let shot: Shot<T> | null = null;
    if (publishable && s.pending !== null && (s.shots === 0 || s.pending.quality > s.bestPublished)) {
      shot = this.#publish(trackId, s, s.lastShotAt);
    }
    return { shot, stats: { frames: s.frames, shots: s.shots, bestQuality: s.bestQuality } };
  }

  #publish(trackId: string, s: TrackState<T>, now: number): Shot<T> {
    const candidate = s.pending as T;
    s.shots++;
    s.lastShotAt = now;
    s.bestPublished = Math.max(s.bestPublished, candidate.quality);
    s.pending = null;
    return { trackId, shot: s.shots, candidate };
  }
}
