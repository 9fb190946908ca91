/**
 * Tracks that would otherwise stay open for ever, found by scanning the shared track states (so it survives the
 * recognizer that handled a track being killed: any replica's sweep finds the track):
 *
 * - **missing shots**: the camera said the track ended, but some of the shots it counted never arrived (lost while
 *   NATS was down): concluded with those that did once nothing happened on the track for the deadline;
 * - **orphaned**: no FaceTrackEnded ever came, and the camera has changed status since the track's last shot
 *   (restarted after a `kill -9`, reconnected, stopped): every track of the camera's earlier run is over, so it is
 *   concluded with the shots that arrived once nothing happened on it for the deadline;
 * - **ready**: ended and complete but not marked concluded (a crash between the two): concluded again, which the
 *   server's dedupe makes harmless.
 *
 * Concluding is idempotent (derived ids, compare-and-set), so every replica may sweep.
 */
import type { Logger } from "@persona/runtime";
import type { StoredTrack } from "./trackStore.ts";
import { readyToConclude } from "@persona/recognition";

export type SweepVerdict = "missing-shots" | "orphaned" | "ready";

export interface SweepOptions {
  /** How long a track must have been left alone (no shot, no end) before it is concluded by a sweep (ms). */
  deadlineMs: number;
}

/**
 * What a sweep does with one open track, given when its camera last changed status (null: never) and the time now.
 * Pure: the rules above.
 */
export function sweepVerdict(t: StoredTrack, cameraStatusAt: Date | null, now: number, o: SweepOptions): SweepVerdict | null {
  const s = t.state;
  if (s.concluded) return null;
  if (readyToConclude(s)) return "ready";
  const idle = now - t.writtenAt.getTime() >= o.deadlineMs;
  if (!idle) return null;
  if (s.ended) return "missing-shots";
  // the last shot's capture time, else when the state was written (states from before `seen` was recorded)
  const lastShot = s.seen ? Date.parse(s.seen.last) : t.writtenAt.getTime();
  if (cameraStatusAt !== null && cameraStatusAt.getTime() > lastShot) return "orphaned";
  return null;
}

export interface SweeperDeps {
  /** The open tracks (`TrackStore.open`). */
  open: () => AsyncIterable<StoredTrack>;
  /** When the camera last changed status (its latest CameraStatusChanged), or null. */
  cameraStatusAt: (cameraId: string) => Promise<Date | null>;
  /** Concludes one track for this reason; resolves true when it did (false: someone else did, or it moved on). */
  conclude: (t: StoredTrack, why: SweepVerdict) => Promise<boolean>;
  options: SweepOptions;
  /** How often to sweep (ms). */
  intervalMs: number;
  now?: () => number;
  log?: Logger;
}

/** One pass over the open tracks; returns how many it concluded per reason. */
export async function sweepOnce(d: Omit<SweeperDeps, "intervalMs">): Promise<Record<SweepVerdict, number>> {
  const now = d.now ?? Date.now;
  const counts: Record<SweepVerdict, number> = { "missing-shots": 0, orphaned: 0, ready: 0 };
  const statusOf = new Map<string, Date | null>();
  for await (const t of d.open()) {
    const cam = t.state.cameraId;
    if (!statusOf.has(cam)) statusOf.set(cam, await d.cameraStatusAt(cam));
    const why = sweepVerdict(t, statusOf.get(cam) ?? null, now(), d.options);
    if (why && (await d.conclude(t, why))) counts[why]++;
  }
  return counts;
}

/** Sweeps every `intervalMs` until stopped; a failed pass (NATS away) is logged and tried again next time. */
export function startTrackSweeper(d: SweeperDeps): { stop: () => Promise<void> } {
  let stopped = false;
  let running: Promise<void> | null = null;
  const pass = async () => {
    try {
      const c = await sweepOnce(d);
      if (c["missing-shots"] + c.orphaned + c.ready > 0) d.log?.info(c, "sweep concluded stale tracks");
    } catch (err) {
      d.log?.warn({ err: (err as Error).message }, "track sweep failed; trying again next time");
    }
  };
  const timer = setInterval(() => {
    // a pass slower than the interval is not stacked: the next tick after it ends starts the next one
    if (stopped || running) return;
    running = pass().finally(() => {
      running = null;
    });
  }, d.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
