import { type Occurrence, type Schedulable, occurrencesBetween } from "./schedule.ts";

/**
 * Which occurrences an observation belongs to: an index by camera and by hour over a window of time, so routing a
 * sighting costs a map lookup and a short list, whatever the number of sessions. Build it for a window (a few days),
 * again when the window passes or a session is scheduled, changed or cancelled.
 */

const MINUTE = 60_000;
const BUCKET = 60 * MINUTE;

export interface OccurrenceRouter {
  /** The window the index covers: observations at instants in [from, to). */
  from: number;
  to: number;
  earlyMinutes: number;
  /** cameraId -> hour number (epoch ms / 1 h) -> occurrences whose window [start - early, end] touches that hour. */
  buckets: Map<string, Map<number, Occurrence[]>>;
  occurrences: Occurrence[];
}

/** Indexes the occurrences of these sessions whose window [start - early, end] meets [from, to). */
export function buildRouter(sessions: Iterable<Schedulable>, from: number, to: number, earlyMinutes: number): OccurrenceRouter {
  const router: OccurrenceRouter = { from, to, earlyMinutes, buckets: new Map(), occurrences: [] };
  const early = earlyMinutes * MINUTE;
  for (const s of sessions) {
    for (const o of occurrencesBetween(s, from, to + early)) {
      router.occurrences.push(o);
      for (const camera of new Set(o.cameras)) {
        let byHour = router.buckets.get(camera);
        if (byHour === undefined) {
          byHour = new Map();
          router.buckets.set(camera, byHour);
        }
        for (let h = Math.floor((o.startAt - early) / BUCKET); h <= Math.floor(o.endAt / BUCKET); h++) {
          const list = byHour.get(h);
          if (list === undefined) byHour.set(h, [o]);
          else list.push(o);
        }
      }
    }
  }
  return router;
}

/** True when the index covers this instant. */
export const covers = (router: OccurrenceRouter, at: number) => at >= router.from && at < router.to;

/** The occurrences an observation at `cameraId` at `at` counts for: its window [start - early, end] holds `at`. */
export function route(router: OccurrenceRouter, cameraId: string, at: number): Occurrence[] {
  const list = router.buckets.get(cameraId)?.get(Math.floor(at / BUCKET));
  if (list === undefined) return [];
  const early = router.earlyMinutes * MINUTE;
  return list.filter((o) => at >= o.startAt - early && at <= o.endAt);
}
