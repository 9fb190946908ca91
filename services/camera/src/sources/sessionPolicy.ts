/** What a source does after one ffmpeg run ends: end, fail for good, or reconnect. Pure. */
import type { FailureKind } from "./ffmpegLog.ts";
import type { SourceKind } from "./ffmpegArgs.ts";

export interface SessionOutcome {
  /** ffmpeg's exit code (null when killed by a signal or never started). */
  exitCode: number | null;
  /** ffmpeg could not be started at all (binary missing, not executable). */
  spawnError: string | null;
  /** Frames read from this run. */
  frames: number;
  /** Why it stopped, as read from ffmpeg's stderr (or the watchdog). */
  failure: { kind: FailureKind | "stalled"; message: string };
}

export type NextStep =
  | { kind: "ended"; message: string }
  /** A looped file reached its end: play it again at once. */
  | { kind: "replay"; message: string }
  | { kind: "failed"; message: string }
  | { kind: "retry"; message: string };

/**
 * - ffmpeg missing: failed.
 * - a file that yields no frame (missing, unreadable, not a video): failed at once, retrying cannot help.
 * - a file played once: ended at its end (or when ffmpeg stops after some frames: ended, with ffmpeg's reason).
 * - a looped file at its end: played again at once (a new ffmpeg run: the runner learns where the clip starts over).
 * - a looped file that stops otherwise, and every live source (RTSP, HTTP, webcam) that stops or cannot be reached: retry with
 *   backoff, until `maxAttempts` retries in a row (0 = never give up), then failed.
 */
export function nextStep(
  source: { kind: SourceKind; loop: boolean },
  outcome: SessionOutcome,
  attempt: number,
  maxAttempts: number,
): NextStep {
  if (outcome.spawnError !== null) return { kind: "failed", message: `cannot run ffmpeg: ${outcome.spawnError}` };
  const why = outcome.failure.message;
  if (source.kind === "file") {
    if (outcome.frames === 0) {
      const what =
        outcome.failure.kind === "not-video"
          ? "not a playable video"
          : outcome.failure.kind === "not-found"
            ? "file not found"
            : outcome.failure.kind === "denied"
              ? "permission denied"
              : "no frame could be read";
      return { kind: "failed", message: `${what}: ${why}` };
    }
    if (source.loop && outcome.exitCode === 0) return { kind: "replay", message: `end of file after ${outcome.frames} frames` };
    if (!source.loop) {
      return outcome.exitCode === 0
        ? { kind: "ended", message: `end of file after ${outcome.frames} frames` }
        : { kind: "ended", message: `ffmpeg stopped after ${outcome.frames} frames: ${why}` };
    }
  }
  if (maxAttempts > 0 && attempt > maxAttempts) {
    return { kind: "failed", message: `gave up after ${maxAttempts} reconnect attempts: ${why}` };
  }
  const what =
    outcome.frames > 0
      ? outcome.exitCode === 0
        ? `stream ended after ${outcome.frames} frames`
        : `stream broke after ${outcome.frames} frames`
      : "cannot open the stream";
  return { kind: "retry", message: `${what}: ${why}` };
}
