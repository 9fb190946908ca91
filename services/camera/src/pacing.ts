/**
 * Timing of the camera pipeline: the injected clock and the reconnect backoff (pure). The detection rate itself is
 * paced by ffmpeg (see `buildFfmpegArgs`), the best-shot interval by `BestShotSelector` with the frames' times.
 */

/** Wall clock in ms since the epoch. Injected so timing logic is testable without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface BackoffOptions {
  /** Delay before the first retry (ms). Default 1000. */
  initialMs?: number;
  /** Upper bound of the delay (ms). Default 30000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Random spread, as a fraction of the delay (0.2 = +-20%), so many cameras do not retry in lockstep. Default 0.2. */
  jitter?: number;
}

export const BACKOFF_DEFAULTS: Required<BackoffOptions> = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 };

/**
 * Delay before retry number `attempt` (1, 2, 3, ...): initial * factor^(attempt-1), capped at `maxMs`, spread by
 * `jitter` with `random` (a function returning [0, 1), injected for tests).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...BACKOFF_DEFAULTS, ...options };
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.max(0, attempt - 1));
  const spread = base * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(o.maxMs, base + spread)));
}
