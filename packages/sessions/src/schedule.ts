import type { SessionDefinition, SessionKind } from "./events.ts";

/**
 * When a session takes place: its occurrences, local dates and times in the session's IANA time zone turned into
 * instants (epoch milliseconds) with Intl alone.
 *
 * Local times that do not map to exactly one instant:
 * - a time in a spring-forward gap (02:30 in Berlin on the last Sunday of March) does not exist: it becomes the first
 *   instant after the gap (03:00 CEST, when clocks jump), so the mapping never goes backwards and an end never
 *   precedes its start; the occurrence says `shifted: true`. An occurrence entirely inside a gap has no length and
 *   does not take place;
 * - a time in a fall-back overlap (02:30 in Berlin on the last Sunday of October happens twice) is the earlier of the
 *   two instants (the first time the clock shows it).
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A memo of one formatter per zone (building one costs far more than using it). */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows this IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of a zone at an instant, as milliseconds of a UTC date with those fields (seconds precision). */
function wallClock(timeZone: string, instant: number): number {
  const f: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) {
    if (p.type !== "literal") f[p.type] = Number(p.value);
  }
  return Date.UTC(f.year ?? 0, (f.month ?? 1) - 1, f.day ?? 1, f.hour ?? 0, f.minute ?? 0, f.second ?? 0);
}

/** The zone's offset from UTC at an instant, in milliseconds (Moscow: +3 h). */
export function zoneOffsetMs(timeZone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClock(timeZone, whole) - whole;
}

function parseDate(date: string): [number, number, number] {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return [y, m, d];
}

const dateMs = (date: string) => {
  const [y, m, d] = parseDate(date);
  return Date.UTC(y, m - 1, d);
};
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The day of the week of a date, 0 = Sunday .. 6 = Saturday. */
export const dayOfWeek = (date: string) => new Date(dateMs(date)).getUTCDay();
export const addDays = (date: string, days: number) => isoDate(dateMs(date) + days * DAY);
/** The local date of an instant in a zone. */
export const localDateOf = (instant: number, timeZone: string) => isoDate(wallClock(timeZone, instant));
/** The local date and time of an instant in a zone, to the second: "2026-03-02 09:01:05". */
export const localDateTimeOf = (instant: number, timeZone: string) =>
  new Date(wallClock(timeZone, instant)).toISOString().slice(0, 19).replace("T", " ");

export interface LocalInstant {
  at: number;
  /** The local time did not exist (a spring-forward gap): `at` is the first instant after the gap. */
  shifted: boolean;
}

/** The instant of a local date and time ("2025-03-30", "02:30") in a zone; see the module's rules for gaps and overlaps. */
export function localToInstant(date: string, time: string, timeZone: string): LocalInstant {
  const [y, m, d] = parseDate(date);
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  const local = Date.UTC(y, m - 1, d, hh, mm);
  const before = zoneOffsetMs(timeZone, local - DAY);
  const after = zoneOffsetMs(timeZone, local + DAY);
  const valid = [local - before, local - after].filter((t) => wallClock(timeZone, t) === local);
  if (valid.length > 0) return { at: Math.min(...valid), shifted: false };
  // a gap: the offset grows from `before` to `after` somewhere in (local - after, local - before]; find that minute
  let lo = Math.floor((local - after) / MINUTE);
  let hi = Math.ceil((local - before) / MINUTE);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetMs(timeZone, mid * MINUTE) === before) lo = mid;
    else hi = mid;
  }
  return { at: hi * MINUTE, shifted: true };
}

/** What expanding a session needs: its definition, id and cancellations. */
export interface Schedulable extends SessionDefinition {
  sessionId: string;
  /** The whole series is cancelled. */
  cancelled: boolean;
  /** Dates of single cancelled occurrences. */
  cancelledDates: readonly string[];
}

/** One occurrence of a session: `${sessionId}@${date}`, its instants and what the attendance fold needs of it. */
export interface Occurrence {
  occurrenceId: string;
  sessionId: string;
  name: string;
  date: string;
  kind: SessionKind;
  cameras: string[];
  /** Epoch milliseconds. */
  startAt: number;
  endAt: number;
  graceMinutes: number;
  /** The start or end was in a spring-forward gap and moved to its end. */
  shifted: boolean;
}

export const occurrenceIdOf = (sessionId: string, date: string) => `${sessionId}@${date}`;

/** Whether the session is planned on this local date (recurrence, exceptions, cancellations), whatever the clock. */
export function occursOn(s: Schedulable, date: string): boolean {
  if (s.cancelled || date < s.firstDate || s.exceptions.includes(date) || s.cancelledDates.includes(date)) return false;
  if (s.recurrence.kind === "none") return date === s.firstDate;
  return date <= s.recurrence.until && s.recurrence.days.includes(dayOfWeek(date));
}

/** The occurrence on a local date, or null when there is none (or it falls entirely in a DST gap). */
export function occurrenceOn(s: Schedulable, date: string): Occurrence | null {
  if (!occursOn(s, date)) return null;
  const start = localToInstant(date, s.start, s.timeZone);
  const end = localToInstant(date, s.end, s.timeZone);
  if (end.at <= start.at) return null;
  return {
    occurrenceId: occurrenceIdOf(s.sessionId, date),
    sessionId: s.sessionId,
    name: s.name,
    date,
    kind: s.kind,
    cameras: [...s.cameras],
    startAt: start.at,
    endAt: end.at,
    graceMinutes: s.graceMinutes,
    shifted: start.shifted || end.shifted,
  };
}

/** The occurrences that overlap the window [from, to) (epoch milliseconds), in start order. */
export function occurrencesBetween(s: Schedulable, from: number, to: number): Occurrence[] {
  if (s.cancelled || to <= from) return [];
  let date = localDateOf(from, s.timeZone);
  if (date < s.firstDate) date = s.firstDate;
  date = addDays(date, -1);
  const last = addDays(localDateOf(to, s.timeZone), 1);
  const out: Occurrence[] = [];
  for (; date <= last; date = addDays(date, 1)) {
    if (s.recurrence.kind === "weekly" && date > s.recurrence.until) break;
    const o = occurrenceOn(s, date);
    if (o !== null && o.startAt < to && o.endAt > from) out.push(o);
  }
  return out;
}
