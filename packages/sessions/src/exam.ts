import { counts } from "@persona/contracts";
import type { z } from "zod";
import {
  type AttendanceState,
  type ExamAlert,
  type Observation,
  type ObservationNews,
  type PersonStatus,
  evidenceKey,
  peopleOf,
  personRow,
  unknownTracksOf,
} from "./attendance.ts";
import type { ExamVerdict } from "./events.ts";
import type { Occurrence } from "./schedule.ts";

/**
 * The exam rules on top of the attendance fold: every recognition waits for a proctor's verdict, an unknown face or
 * a person not on the roster at an exam camera is an alert, the same person confirmed in two exam occurrences that
 * overlap in time at different cameras is flagged, and the end-of-exam identity report lists every candidate.
 */

/** The alerts an observation raises in an exam occurrence (each unknown track and each off-roster person once). */
export function examAlerts(state: AttendanceState, o: Observation, news: ObservationNews | null): ExamAlert[] {
  if (state.occurrence.kind !== "exam" || news === null) return [];
  let alert: ExamAlert | null = null;
  const base = {
    occurrenceId: state.occurrence.occurrenceId,
    trackId: o.trackId,
    cameraId: o.cameraId,
    at: o.at,
    score: o.score,
  };
  const crop = o.crop ?? null;
  if (news.newUnknownTrack && !state.alerted[`track/${o.trackId}`]) {
    state.alerted[`track/${o.trackId}`] = true;
    alert = { kind: "unknown-face", personId: null, ...base, crop };
  } else if (
    news.newConfirmation &&
    o.personId !== null &&
    !state.onRoster[o.personId] &&
    !state.alerted[`person/${o.personId}`]
  ) {
    state.alerted[`person/${o.personId}`] = true;
    alert = { kind: "not-on-roster", personId: o.personId, ...base, crop };
  }
  if (alert === null) return [];
  state.alerts.push(alert);
  return [alert];
}

export interface VerdictInput {
  personId: string;
  trackId: string;
  verdict: ExamVerdict;
  by: string;
  at: number;
}

/** Records a proctor's verdict on a recognition (the latest verdict on a track stands). */
export function recordVerdict(state: AttendanceState, v: VerdictInput): void {
  state.verdicts[evidenceKey(v.personId, v.trackId)] = { verdict: v.verdict, by: v.by, at: v.at };
}

export interface CheckItem {
  personId: string;
  trackId: string;
  cameraId: string;
  firstAt: number;
  confirmed: boolean;
  score: number;
  crop: string | null;
  onRoster: boolean;
  verdict: "pending" | ExamVerdict;
  verdictBy: string | null;
}

/** Every recognition (confirmed or probable, not rejected) with its verdict, by first frame. */
export function examChecks(state: AttendanceState): CheckItem[] {
  const out: CheckItem[] = [];
  for (const [personId, tracks] of Object.entries(state.people)) {
    for (const t of Object.values(tracks)) {
      const key = evidenceKey(personId, t.trackId);
      if (state.rejected[key]) continue;
      const v = state.verdicts[key];
      out.push({
        personId,
        trackId: t.trackId,
        cameraId: t.cameraId,
        firstAt: t.firstAt,
        confirmed: t.confirmed,
        score: t.bestScore,
        crop: t.bestCrop,
        onRoster: state.onRoster[personId] === true,
        verdict: v?.verdict ?? "pending",
        verdictBy: v?.by ?? null,
      });
    }
  }
  return out.sort((a, b) => a.firstAt - b.firstAt || a.trackId.localeCompare(b.trackId));
}

/** The recognitions still waiting for a proctor. */
export const pendingChecks = (state: AttendanceState) => examChecks(state).filter((c) => c.verdict === "pending");

// ---------------------------------------------------------------- one person in two rooms

interface ExamPresence {
  occurrenceId: string;
  startAt: number;
  endAt: number;
  cameraId: string;
  trackId: string;
  at: number;
}

/** Where each person was confirmed in exam occurrences (across all of them), and the flags raised. */
export interface ExamOverlapIndex {
  byPerson: Record<string, ExamPresence[]>;
  flags: OverlapFlag[];
  flagged: Record<string, true>;
}

export interface OverlapFlag {
  personId: string;
  /** The two sightings, earlier occurrence first. */
  sightings: [ExamPresence, ExamPresence];
}

export const emptyOverlapIndex = (): ExamOverlapIndex => ({ byPerson: {}, flags: [], flagged: {} });

/**
 * Notes a person's first confirmed track in an exam occurrence; flags them when another exam occurrence that overlaps
 * this one in time saw them confirmed at a different camera (a shared camera is one room). One flag per pair.
 */
export function noteExamPresence(
  index: ExamOverlapIndex,
  occ: Occurrence,
  personId: string,
  seen: { cameraId: string; trackId: string; at: number },
): OverlapFlag[] {
  if (occ.kind !== "exam") return [];
  const mine: ExamPresence = { occurrenceId: occ.occurrenceId, startAt: occ.startAt, endAt: occ.endAt, ...seen };
  const list = index.byPerson[personId] ?? [];
  index.byPerson[personId] = list;
  if (list.some((p) => p.occurrenceId === occ.occurrenceId)) return [];
  const out: OverlapFlag[] = [];
  for (const other of list) {
    const overlap = other.startAt < mine.endAt && mine.startAt < other.endAt;
    if (!overlap || other.cameraId === mine.cameraId || occ.cameras.includes(other.cameraId)) continue;
    const pair = [other, mine].sort((a, b) => a.startAt - b.startAt || a.occurrenceId.localeCompare(b.occurrenceId)) as [
      ExamPresence,
      ExamPresence,
    ];
    const key = `${personId}/${pair[0].occurrenceId}/${pair[1].occurrenceId}`;
    if (index.flagged[key]) continue;
    index.flagged[key] = true;
    const flag = { personId, sightings: pair };
    index.flags.push(flag);
    out.push(flag);
  }
  list.push(mine);
  return out;
}

// ---------------------------------------------------------------- the end-of-exam identity report

export interface CandidateReport {
  personId: string;
  onRoster: boolean;
  status: PersonStatus;
  firstSeenAt: number | null;
  evidence: CheckItem[];
  /** All of their recognitions confirmed by a proctor (and at least one). */
  verified: boolean;
  /** A proctor flagged one of their recognitions, or they were seen in another room at the same time. */
  flagged: boolean;
  overlaps: OverlapFlag[];
}

/** The counts of the end-of-exam report (the portal answers them as they are: services/portal/src/http/schemas.ts). */
export const ExamSummary = counts("expected", "seen", "verified", "flagged", "pending", "absent", "notOnRoster");
export type ExamSummary = z.infer<typeof ExamSummary>;

export interface ExamReport {
  occurrenceId: string;
  sessionId: string;
  date: string;
  startAt: number;
  endAt: number;
  at: number;
  candidates: CandidateReport[];
  alerts: ExamAlert[];
  unknownTracks: number;
  summary: ExamSummary;
}

/** Every candidate (the roster and whoever was recognised) with the evidence, verdicts, flags and alerts. */
export function examReport(state: AttendanceState, now: number, overlaps: ExamOverlapIndex = emptyOverlapIndex()): ExamReport {
  const checks = examChecks(state);
  const occ = state.occurrence;
  const candidates = peopleOf(state).map((personId): CandidateReport => {
    const row = personRow(state, personId, now);
    const evidence = checks.filter((c) => c.personId === personId);
    const mine = overlaps.flags.filter(
      (f) => f.personId === personId && f.sightings.some((s) => s.occurrenceId === occ.occurrenceId),
    );
    return {
      personId,
      onRoster: row.onRoster,
      status: row.status,
      firstSeenAt: row.firstSeenAt,
      evidence,
      verified: evidence.length > 0 && evidence.every((e) => e.verdict === "confirmed"),
      flagged: evidence.some((e) => e.verdict === "flagged") || mine.length > 0,
      overlaps: mine,
    };
  });
  return {
    occurrenceId: occ.occurrenceId,
    sessionId: occ.sessionId,
    date: occ.date,
    startAt: occ.startAt,
    endAt: occ.endAt,
    at: now,
    candidates,
    alerts: [...state.alerts],
    unknownTracks: unknownTracksOf(state).length,
    summary: {
      expected: state.roster.length,
      seen: candidates.filter((c) => c.evidence.length > 0).length,
      verified: candidates.filter((c) => c.verified).length,
      flagged: candidates.filter((c) => c.flagged).length,
      pending: checks.filter((c) => c.verdict === "pending").length,
      absent: candidates.filter((c) => c.status === "absent").length,
      notOnRoster: candidates.filter((c) => !c.onRoster && c.evidence.some((e) => e.confirmed)).length,
    },
  };
}
