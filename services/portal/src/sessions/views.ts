import {
  type AttendanceState,
  type AttendanceView,
  type CheckItem,
  type Occurrence,
  type PersonRate,
  type PersonRow,
  type UnknownTrack,
  attendanceView,
  eventView,
  examReport,
} from "@persona/sessions";
import type { z } from "zod";
import type {
  AttendancePerson,
  CheckInView,
  ExamCheck,
  ExamReport,
  OccurrenceView,
  PersonRate as PersonRateApi,
  SessionOccurrence,
  SessionUnknownTrack,
} from "../http/schemas.ts";
import type { SessionsFold } from "./fold.ts";

/** The sessions' API shapes (http/schemas.ts) from the fold's pure views: names, photos and ISO times added. */

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function personOf(fold: SessionsFold, r: PersonRow): z.infer<typeof AttendancePerson> {
  const card = fold.people.get(r.personId);
  return {
    personId: r.personId,
    name: card?.name ?? null,
    status: r.status,
    onRoster: r.onRoster,
    firstSeenAt: isoOrNull(r.firstSeenAt),
    score: r.bestScore,
    trackId: r.bestTrackId,
    cameraId: r.cameraId,
    cropKey: r.bestCrop,
    photoKey: card?.photoKey ?? null,
    tracks: r.tracks,
    probableOnly: r.probableOnly,
    manual: r.manual === null ? null : { ...r.manual, at: iso(r.manual.at) },
  };
}

const unknownOf = (u: UnknownTrack): z.infer<typeof SessionUnknownTrack> => ({
  trackId: u.trackId,
  cameraId: u.cameraId,
  firstSeenAt: iso(u.firstAt),
  lastSeenAt: iso(u.lastAt),
  score: u.bestScore,
  cropKey: u.bestCrop,
});

export function countsOf(v: AttendanceView) {
  return {
    expected: v.expected.length,
    present: v.present.length,
    late: v.late.length,
    absent: v.absent.length,
    notYetSeen: v.notYetSeen.length,
    excused: v.excused.length,
    unexpected: v.unexpected.length,
    probableOnly: v.probableOnly.length,
    unknown: v.unknownTracks.count,
  };
}

export function occurrenceViewOf(fold: SessionsFold, state: AttendanceState, now: number): z.infer<typeof OccurrenceView> {
  const v = attendanceView(state, now);
  const rows = (list: PersonRow[]) => list.map((r) => personOf(fold, r));
  return {
    occurrenceId: v.occurrenceId,
    sessionId: v.sessionId,
    name: state.occurrence.name,
    date: v.date,
    kind: v.kind,
    startAt: iso(v.startAt),
    endAt: iso(v.endAt),
    lateAfter: iso(v.lateAfter),
    phase: v.phase,
    at: iso(now),
    started: fold.started.has(v.occurrenceId),
    expected: v.expected,
    counts: countsOf(v),
    present: rows(v.present),
    late: rows(v.late),
    absent: rows(v.absent),
    notYetSeen: rows(v.notYetSeen),
    excused: rows(v.excused),
    unexpected: rows(v.unexpected),
    probableOnly: rows(v.probableOnly),
    unknown: v.unknownTracks.tracks.map(unknownOf),
    corrections: state.corrections.map((c) => ({
      personId: c.personId,
      action: c.action,
      trackId: c.trackId,
      by: c.by,
      at: iso(c.at),
      reason: c.reason,
    })),
    negatives: v.negatives.map((n) => ({ ...n, at: iso(n.at) })),
  };
}

export function occurrenceSummaryOf(fold: SessionsFold, occ: Occurrence, now: number): z.infer<typeof SessionOccurrence> {
  const state = fold.projection.occurrences[occ.occurrenceId];
  const o = state?.occurrence ?? occ;
  return {
    occurrenceId: o.occurrenceId,
    sessionId: o.sessionId,
    name: o.name,
    date: o.date,
    kind: o.kind,
    startAt: iso(o.startAt),
    endAt: iso(o.endAt),
    shifted: o.shifted,
    phase: now < o.startAt ? "upcoming" : now < o.endAt ? "running" : "ended",
    started: fold.started.has(o.occurrenceId),
    counts: state ? countsOf(attendanceView(state, now)) : null,
  };
}

export function examCheckOf(fold: SessionsFold, c: CheckItem): z.infer<typeof ExamCheck> {
  const card = fold.people.get(c.personId);
  return {
    personId: c.personId,
    name: card?.name ?? null,
    trackId: c.trackId,
    cameraId: c.cameraId,
    firstSeenAt: iso(c.firstAt),
    confirmed: c.confirmed,
    score: c.score,
    cropKey: c.crop,
    photoKey: card?.photoKey ?? null,
    onRoster: c.onRoster,
    verdict: c.verdict,
    verdictBy: c.verdictBy,
  };
}

export function examReportOf(fold: SessionsFold, state: AttendanceState, now: number): z.infer<typeof ExamReport> {
  const r = examReport(state, now, fold.projection.overlaps);
  return {
    occurrenceId: r.occurrenceId,
    sessionId: r.sessionId,
    date: r.date,
    startAt: iso(r.startAt),
    endAt: iso(r.endAt),
    at: iso(now),
    candidates: r.candidates.map((c) => ({
      personId: c.personId,
      name: fold.nameOf(c.personId),
      photoKey: fold.people.get(c.personId)?.photoKey ?? null,
      onRoster: c.onRoster,
      status: c.status,
      firstSeenAt: isoOrNull(c.firstSeenAt),
      evidence: c.evidence.map((e) => examCheckOf(fold, e)),
      verified: c.verified,
      flagged: c.flagged,
      elsewhere: c.overlaps.flatMap((f) =>
        f.sightings
          .filter((s) => s.occurrenceId !== r.occurrenceId)
          .map((s) => ({ occurrenceId: s.occurrenceId, cameraId: s.cameraId, at: iso(s.at) })),
      ),
    })),
    alerts: r.alerts.map((a) => ({
      kind: a.kind,
      personId: a.personId,
      trackId: a.trackId,
      cameraId: a.cameraId,
      at: iso(a.at),
      score: a.score,
      cropKey: a.crop,
    })),
    unknownTracks: r.unknownTracks,
    summary: r.summary,
  };
}

export function checkInViewOf(fold: SessionsFold, state: AttendanceState, now: number): z.infer<typeof CheckInView> {
  const v = eventView(state, now);
  const checkIn = (c: (typeof v.checkedIn)[number]) => ({ ...c, name: fold.nameOf(c.personId), at: isoOrNull(c.at) });
  const unknown = attendanceView(state, now).unknownTracks.tracks.map(unknownOf);
  return {
    occurrenceId: v.occurrenceId,
    counters: v.counters,
    checkedIn: v.checkedIn.map(checkIn),
    waiting: v.waiting.map((personId) => ({ personId, name: fold.nameOf(personId) })),
    walkIns: v.walkIns.map(checkIn),
    unknown,
  };
}

export const rateOf = (fold: SessionsFold, r: PersonRate): z.infer<typeof PersonRateApi> => ({
  ...r,
  name: fold.nameOf(r.personId),
});
