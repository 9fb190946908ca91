import { attendanceId, type WriteOp } from "@persona/store";
import type { Projection } from "./projection.ts";

/**
 * Attendance (SIGHTINGS stream): per person per day, from TrackConcluded events whose outcome is "recognized":
 * first seen, last seen, the seconds in view of any camera (the union of the person's tracks, so two cameras seeing
 * them at once count once) and the cameras. Days are calendar days in the configured time zone; a track over
 * midnight counts on both days. The merged intervals are kept in `attendance_spans`, so the result does not depend
 * on the order the tracks arrive in, and applying a track twice changes nothing.
 */

export type AttendanceEventType = "TrackConcluded";

/** The host's time zone (what a person at the machine calls "today"): the default of attendance days. */
export const HOST_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DD" of an instant in an IANA time zone. */
export function dayOf(ms: number, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** Throws a RangeError for a time zone the runtime does not know. */
export function checkTimeZone(timeZone: string): string {
  new Intl.DateTimeFormat("en-US", { timeZone });
  return timeZone;
}

/** Splits [startMs, endMs] at the time zone's midnights (DST-safe: the boundary is searched, not computed). */
export function splitByDay(startMs: number, endMs: number, timeZone: string): { day: string; start: number; end: number }[] {
  const out: { day: string; start: number; end: number }[] = [];
  let start = startMs;
  for (let guard = 0; guard < 400; guard++) {
    const day = dayOf(start, timeZone);
    if (dayOf(endMs, timeZone) === day) {
      out.push({ day, start, end: endMs });
      return out;
    }
    // the first millisecond of the next day: dayOf(lo) === day, dayOf(hi) !== day
    let lo = start;
    let hi = endMs;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (dayOf(mid, timeZone) === day) lo = mid;
      else hi = mid;
    }
    out.push({ day, start, end: hi });
    start = hi;
  }
  return out;
}

/** Adds [start, end] to sorted, disjoint intervals, merging what overlaps or touches. */
export function mergeSpan(spans: readonly (readonly [number, number])[], start: number, end: number): [number, number][] {
  const all = [...spans.map(([a, b]) => [a, b] as [number, number]), [start, end] as [number, number]].sort(
    (x, y) => x[0] - y[0],
  );
  const merged: [number, number][] = [];
  for (const [a, b] of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

export const attendanceProjection = {
  name: "attendance",
  collections: ["attendance", "attendance_spans"],
  handlers: {
    async TrackConcluded(env, { models, timeZone }) {
      const d = env.data;
      if (d.outcome.kind !== "recognized") return [];
      const personId = d.outcome.personId;
      const startMs = Date.parse(d.startedAt);
      const endMs = Math.max(startMs, Date.parse(d.endedAt));
      const ops: WriteOp[] = [];
      for (const piece of splitByDay(startMs, endMs, timeZone)) {
        const id = attendanceId(personId, piece.day);
        const spansDoc = await models.attendanceSpans.get(id);
        const spans = mergeSpan(spansDoc?.spans ?? [], piece.start, piece.end);
        const existing = await models.attendance.get(personId, piece.day);
        const cameras = [...new Set([...(existing?.cameras ?? []), d.cameraId])].sort();
        const first = spans[0]?.[0] ?? piece.start;
        const last = spans[spans.length - 1]?.[1] ?? piece.end;
        const seconds = spans.reduce((sum, [a, b]) => sum + (b - a), 0) / 1000;
        ops.push(
          models.attendanceSpans.putOp({ id, personId, day: piece.day, spans }),
          models.attendance.putOp({
            id,
            personId,
            day: piece.day,
            firstSeen: new Date(first),
            lastSeen: new Date(last),
            secondsInView: seconds,
            cameras,
          }),
        );
      }
      return ops;
    },
  },
} satisfies Projection<AttendanceEventType>;
