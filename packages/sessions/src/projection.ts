import {
  type AttendanceState,
  DEFAULT_EARLY_MINUTES,
  type ExamAlert,
  type Negative,
  type Observation,
  correct,
  observe,
  openAttendance,
} from "./attendance.ts";
import type { SessionsDataOf, SessionsEvent } from "./events.ts";
import {
  type ExamOverlapIndex,
  type OverlapFlag,
  emptyOverlapIndex,
  examAlerts,
  noteExamPresence,
  recordVerdict,
} from "./exam.ts";
import { type OccurrenceRouter, buildRouter, covers, route } from "./router.ts";
import { type Occurrence, occurrenceIdOf } from "./schedule.ts";
import { type PeopleFact, type SessionsState, emptySessions, evolve, findOccurrence, resolveRoster } from "./state.ts";

/**
 * The sessions' read side in one pure value: the groups and sessions (`evolve`), one attendance fold per occurrence
 * that has had something to fold, the exam overlap index, and the router. Phase 2's consumer feeds it the events of
 * this family, the library's person events and the observations of SIGHTINGS, and publishes what it returns.
 */

export interface ProjectionOptions {
  earlyMinutes?: number;
  /** Days the router indexes ahead of an observation (default 7). */
  routerDays?: number;
}

export interface SessionsProjection {
  sessions: SessionsState;
  occurrences: Record<string, AttendanceState>;
  overlaps: ExamOverlapIndex;
  router: OccurrenceRouter | null;
  earlyMinutes: number;
  routerDays: number;
}

/** What an observation or an event caused beyond the views: alerts to raise, flags, arrivals, negatives. */
export type ProjectionEffect =
  | { kind: "alert"; alert: ExamAlert }
  | { kind: "overlap"; flag: OverlapFlag }
  | { kind: "arrived"; occurrenceId: string; personId: string; at: number; onRoster: boolean }
  | { kind: "negative"; occurrenceId: string; negative: Negative }
  | { kind: "negative-withdrawn"; occurrenceId: string; negative: Negative };

const DAY = 24 * 3600_000;

export function createProjection(options: ProjectionOptions = {}): SessionsProjection {
  return {
    sessions: emptySessions(),
    occurrences: {},
    overlaps: emptyOverlapIndex(),
    router: null,
    earlyMinutes: options.earlyMinutes ?? DEFAULT_EARLY_MINUTES,
    routerDays: options.routerDays ?? 7,
  };
}

/** The fold of an occurrence, opened (its roster resolved now) on first need. */
export function occurrenceState(p: SessionsProjection, occ: Occurrence): AttendanceState {
  let s = p.occurrences[occ.occurrenceId];
  if (s === undefined) {
    const session = p.sessions.sessions.get(occ.sessionId);
    s = openAttendance(occ, session ? resolveRoster(p.sessions, session.roster) : [], p.earlyMinutes);
    p.occurrences[occ.occurrenceId] = s;
  }
  return s;
}

function stateFor(p: SessionsProjection, sessionId: string, date: string): AttendanceState | null {
  const open = p.occurrences[`${sessionId}@${date}`];
  if (open) return open;
  const occ = findOccurrence(p.sessions, sessionId, date);
  return occ ? occurrenceState(p, occ) : null;
}

/** Folds an event of this family or a library person event. */
export function applyEvent(p: SessionsProjection, event: SessionsEvent | PeopleFact): ProjectionEffect[] {
  evolve(p.sessions, event);
  switch (event.type) {
    case "SessionScheduled":
    case "SessionChanged":
    case "SessionCancelled":
      p.router = null;
      return [];
    case "AttendanceCorrected": {
      const d = event.data;
      const s = stateFor(p, d.sessionId, d.date);
      if (s === null) return [];
      const occurrenceId = s.occurrence.occurrenceId;
      return correct(s, { ...d, at: Date.parse(d.at) }).map((e) => ({ ...e, occurrenceId }));
    }
    case "ExamCheckRecorded": {
      const d = event.data;
      const s = stateFor(p, d.sessionId, d.date);
      if (s !== null) recordVerdict(s, { ...d, at: Date.parse(d.at) });
      return [];
    }
    case "OccurrenceStarted":
      fixOccurrence(p, event.data);
      return [];
    default:
      return [];
  }
}

/**
 * An occurrence as its OccurrenceStarted recorded it: its times, cameras, kind, grace and roster are the record's from
 * now on (an occurrence opened before, by an early sighting or a correction, takes them; its evidence stays), so a
 * rebuild expects the people the occurrence expected when it opened, whatever happened to the groups since.
 */
export function fixOccurrence(p: SessionsProjection, r: SessionsDataOf<"OccurrenceStarted">): AttendanceState {
  const occurrence: Occurrence = {
    occurrenceId: occurrenceIdOf(r.sessionId, r.date),
    sessionId: r.sessionId,
    name: r.name,
    date: r.date,
    kind: r.kind,
    cameras: [...r.cameras],
    startAt: r.startAt,
    endAt: r.endAt,
    graceMinutes: r.graceMinutes,
    shifted: r.shifted,
  };
  const open = p.occurrences[occurrence.occurrenceId];
  if (open === undefined) {
    const s = openAttendance(occurrence, r.roster, p.earlyMinutes);
    p.occurrences[occurrence.occurrenceId] = s;
    return s;
  }
  const roster = [...new Set(r.roster)].sort();
  open.occurrence = occurrence;
  open.roster = roster;
  open.onRoster = Object.fromEntries(roster.map((id) => [id, true as const]));
  return open;
}

/** The occurrences an observation counts for (the router is built, or built again, for its instant). */
export function routeObservation(p: SessionsProjection, o: Pick<Observation, "cameraId" | "at">): Occurrence[] {
  if (p.router === null || !covers(p.router, o.at)) {
    const from = Math.floor(o.at / DAY) * DAY - DAY;
    p.router = buildRouter(p.sessions.sessions.values(), from, from + (p.routerDays + 1) * DAY, p.earlyMinutes);
  }
  return route(p.router, o.cameraId, o.at);
}

/** Routes an observation to its occurrences and folds it into each; returns what it caused. */
export function ingest(p: SessionsProjection, o: Observation): ProjectionEffect[] {
  const effects: ProjectionEffect[] = [];
  for (const occ of routeObservation(p, o)) {
    const s = occurrenceState(p, occ);
    const news = observe(s, o);
    if (news === null) continue;
    for (const alert of examAlerts(s, o, news)) effects.push({ kind: "alert", alert });
    if (news.firstConfirmedForPerson && o.personId !== null) {
      const onRoster = s.onRoster[o.personId] === true;
      effects.push({ kind: "arrived", occurrenceId: occ.occurrenceId, personId: o.personId, at: o.at, onRoster });
      const seen = { cameraId: o.cameraId, trackId: o.trackId, at: o.at };
      for (const flag of noteExamPresence(p.overlaps, occ, o.personId, seen)) effects.push({ kind: "overlap", flag });
    }
  }
  return effects;
}
