import type { CorrectionAction, ExamVerdict } from "./events.ts";
import type { Occurrence } from "./schedule.ts";

/**
 * Attendance of one occurrence as an incremental fold: observations (recognitions and unknown faces at the session's
 * cameras) and corrections go in, one at a time in O(1); a view of who is present, late, absent... comes out at any
 * instant. The state is plain JSON (records and arrays), so a projection can store it or rebuild it from the events.
 * The fold updates the state it is given in place, like packages/library's `evolve`.
 */

export const DEFAULT_EARLY_MINUTES = 15;
const MINUTE = 60_000;

/** One recognition outcome of a track at one of the session's cameras (FaceRecognized / UnknownFaceSeen / TrackConcluded). */
export interface Observation {
  trackId: string;
  cameraId: string;
  /** Epoch milliseconds of the frame. */
  at: number;
  /** Null for an unknown face. */
  personId: string | null;
  decision: "confirmed" | "probable" | "unknown";
  score: number;
  /** A reference to the capture (an object key), when there is one. */
  crop?: string | null;
}

/** What one track says about one person. */
export interface TrackEvidence {
  trackId: string;
  cameraId: string;
  firstAt: number;
  lastAt: number;
  /** At least one confirmed observation: the track counts from its first frame. */
  confirmed: boolean;
  bestScore: number;
  bestCrop: string | null;
}

export interface UnknownTrack {
  trackId: string;
  cameraId: string;
  firstAt: number;
  lastAt: number;
  bestScore: number;
  bestCrop: string | null;
}

export interface CorrectionEntry {
  personId: string;
  action: Exclude<CorrectionAction, "undo">;
  trackId: string | null;
  by: string;
  at: number;
  reason: string | null;
}

/** A recognition a person refuted: phase 2 feeds it to self-learning as a negative. */
export interface Negative {
  personId: string;
  trackId: string;
  by: string;
  at: number;
}

export interface VerdictRecord {
  verdict: ExamVerdict;
  by: string;
  at: number;
}

/** At an exam camera: an unknown face, or a confirmed person who is not on the roster (once per track / person). */
export interface ExamAlert {
  kind: "unknown-face" | "not-on-roster";
  occurrenceId: string;
  personId: string | null;
  trackId: string;
  cameraId: string;
  at: number;
  score: number;
  crop: string | null;
}

export interface AttendanceState {
  occurrence: Occurrence;
  /** Minutes before the start from which sightings count (arrivals before the start are on time). */
  earlyMinutes: number;
  /** The resolved roster, sorted. */
  roster: string[];
  onRoster: Record<string, true>;
  /** personId -> trackId -> evidence. */
  people: Record<string, Record<string, TrackEvidence>>;
  unknownTracks: Record<string, UnknownTrack>;
  /** Tracks that named someone (confirmed or probable): not unknown faces, whatever else they showed. */
  namedTracks: Record<string, true>;
  /** `${personId}/${trackId}` a reject-recognition refuted. */
  rejected: Record<string, true>;
  corrections: CorrectionEntry[];
  negatives: Negative[];
  /** Exam verdicts by `${personId}/${trackId}`. */
  verdicts: Record<string, VerdictRecord>;
  /** Exam alerts raised, and their keys (`person/<id>`, `track/<id>`) so each is raised once. */
  alerts: ExamAlert[];
  alerted: Record<string, true>;
  observations: number;
}

export const evidenceKey = (personId: string, trackId: string) => `${personId}/${trackId}`;

/** Opens the fold of an occurrence with its roster (resolved once, when it opens). */
export function openAttendance(
  occurrence: Occurrence,
  roster: readonly string[],
  earlyMinutes = DEFAULT_EARLY_MINUTES,
): AttendanceState {
  const sorted = [...new Set(roster)].sort();
  return {
    occurrence,
    earlyMinutes,
    roster: sorted,
    onRoster: Object.fromEntries(sorted.map((p) => [p, true as const])),
    people: {},
    unknownTracks: {},
    namedTracks: {},
    rejected: {},
    corrections: [],
    negatives: [],
    verdicts: {},
    alerts: [],
    alerted: {},
    observations: 0,
  };
}

/** The window in which an observation counts for an occurrence: [start - early, end]. */
export const countsFrom = (s: Pick<AttendanceState, "occurrence" | "earlyMinutes">) =>
  s.occurrence.startAt - s.earlyMinutes * MINUTE;

/** What an observation changed, for the rules layered on the fold (exam alerts, check-in greetings). */
export interface ObservationNews {
  /** The first sighting of an unknown track. */
  newUnknownTrack: boolean;
  /** The first confirmed observation of this person on this track. */
  newConfirmation: boolean;
  /** The first confirmed track of this person in the occurrence. */
  firstConfirmedForPerson: boolean;
}

function observeUnknown(state: AttendanceState, o: Observation): ObservationNews {
  const u = state.unknownTracks[o.trackId];
  const news = {
    newUnknownTrack: u === undefined && !state.namedTracks[o.trackId],
    newConfirmation: false,
    firstConfirmedForPerson: false,
  };
  if (u === undefined) {
    state.unknownTracks[o.trackId] = {
      trackId: o.trackId,
      cameraId: o.cameraId,
      firstAt: o.at,
      lastAt: o.at,
      bestScore: o.score,
      bestCrop: o.crop ?? null,
    };
  } else {
    u.firstAt = Math.min(u.firstAt, o.at);
    u.lastAt = Math.max(u.lastAt, o.at);
    if (o.score > u.bestScore) [u.bestScore, u.bestCrop] = [o.score, o.crop ?? null];
  }
  return news;
}

const hasConfirmed = (tracks: Record<string, TrackEvidence> | undefined, state: AttendanceState, personId: string) => {
  for (const t of Object.values(tracks ?? {})) if (t.confirmed && !state.rejected[evidenceKey(personId, t.trackId)]) return true;
  return false;
};

/**
 * Folds one observation. Outside the occurrence's cameras or its window [start - early, end] it changes nothing and
 * returns null. A track refuted for that person (reject-recognition) keeps its evidence, unused while refuted, and
 * its news say nothing new (no alert, no arrival).
 */
export function observe(state: AttendanceState, o: Observation): ObservationNews | null {
  const occ = state.occurrence;
  if (o.at < countsFrom(state) || o.at > occ.endAt || !occ.cameras.includes(o.cameraId)) return null;
  state.observations++;
  if (o.personId === null || o.decision === "unknown") return observeUnknown(state, o);
  state.namedTracks[o.trackId] = true;
  // a refuted track still gathers its evidence (unused while the rejection stands, as it was for an undo), so the
  // fold does not depend on whether a correction came before or after the frames: a rebuild that reads the
  // corrections first ends where the live fold ended
  const refuted = state.rejected[evidenceKey(o.personId, o.trackId)] === true;
  const confirmed = o.decision === "confirmed";
  let tracks = state.people[o.personId];
  if (tracks === undefined) {
    tracks = {};
    state.people[o.personId] = tracks;
  }
  const firstForPerson = confirmed && !refuted && !hasConfirmed(tracks, state, o.personId);
  const t = tracks[o.trackId];
  if (t === undefined) {
    tracks[o.trackId] = {
      trackId: o.trackId,
      cameraId: o.cameraId,
      firstAt: o.at,
      lastAt: o.at,
      confirmed,
      bestScore: o.score,
      bestCrop: o.crop ?? null,
    };
    return { newUnknownTrack: false, newConfirmation: confirmed && !refuted, firstConfirmedForPerson: firstForPerson };
  }
  const newConfirmation = confirmed && !t.confirmed && !refuted;
  t.confirmed ||= confirmed;
  t.firstAt = Math.min(t.firstAt, o.at);
  t.lastAt = Math.max(t.lastAt, o.at);
  if (o.score > t.bestScore) [t.bestScore, t.bestCrop] = [o.score, o.crop ?? null];
  return { newUnknownTrack: false, newConfirmation, firstConfirmedForPerson: firstForPerson };
}

/** What a correction did beyond the view: negatives for self-learning to learn or forget. */
export type CorrectionEffect = { kind: "negative"; negative: Negative } | { kind: "negative-withdrawn"; negative: Negative };

export interface CorrectionInput {
  personId: string;
  action: CorrectionAction;
  trackId?: string | undefined;
  by: string;
  /** Epoch milliseconds. */
  at: number;
  reason?: string | undefined;
}

/**
 * Applies a correction on top of the evidence (the decider has checked it): mark-present and excuse are recorded;
 * reject-recognition removes the track's evidence for the person and records a negative; undo withdraws the person's
 * latest correction in force (a rejected recognition counts again and its negative is withdrawn).
 */
export function correct(state: AttendanceState, c: CorrectionInput): CorrectionEffect[] {
  if (c.action === "undo") {
    const i = state.corrections.findLastIndex((e) => e.personId === c.personId);
    if (i < 0) return [];
    const [undone] = state.corrections.splice(i, 1) as [CorrectionEntry];
    if (undone.action !== "reject-recognition" || undone.trackId === null) return [];
    const key = evidenceKey(c.personId, undone.trackId);
    if (state.corrections.some((e) => e.action === "reject-recognition" && evidenceKey(e.personId, e.trackId ?? "") === key))
      return [];
    delete state.rejected[key];
    const n = state.negatives.findIndex((x) => evidenceKey(x.personId, x.trackId) === key);
    const [negative] = n < 0 ? [] : state.negatives.splice(n, 1);
    return negative ? [{ kind: "negative-withdrawn", negative }] : [];
  }
  const trackId = c.trackId ?? null;
  state.corrections.push({ personId: c.personId, action: c.action, trackId, by: c.by, at: c.at, reason: c.reason ?? null });
  if (c.action !== "reject-recognition" || trackId === null) return [];
  const key = evidenceKey(c.personId, trackId);
  if (state.rejected[key]) return [];
  state.rejected[key] = true;
  const negative = { personId: c.personId, trackId, by: c.by, at: c.at };
  state.negatives.push(negative);
  return [{ kind: "negative", negative }];
}

// ---------------------------------------------------------------- the view

export type PersonStatus = "present" | "late" | "absent" | "not-yet-seen" | "excused";

export interface PersonRow {
  personId: string;
  status: PersonStatus;
  onRoster: boolean;
  /** The first frame of the person's earliest confirmed track, epoch ms (null: not seen, or marked present only). */
  firstSeenAt: number | null;
  bestScore: number | null;
  bestTrackId: string | null;
  bestCrop: string | null;
  cameraId: string | null;
  /** Confirmed tracks that count (not rejected). */
  tracks: number;
  /** Seen, but only as "probable": never counted present on that alone. */
  probableOnly: boolean;
  /** The mark-present or excuse behind the status, when a person made it. */
  manual: { action: "mark-present" | "excuse"; by: string; at: number } | null;
}

export type Phase = "upcoming" | "running" | "ended";

export interface AttendanceView {
  occurrenceId: string;
  sessionId: string;
  date: string;
  kind: Occurrence["kind"];
  startAt: number;
  endAt: number;
  /** Arrivals at or before this instant are on time. */
  lateAfter: number;
  phase: Phase;
  at: number;
  expected: string[];
  present: PersonRow[];
  late: PersonRow[];
  /** Not seen by the end (empty until the occurrence ends: see notYetSeen). */
  absent: PersonRow[];
  notYetSeen: PersonRow[];
  excused: PersonRow[];
  /** Confirmed (or marked present) and not on the roster. */
  unexpected: PersonRow[];
  /** Seen only as probable (on the roster or not), shown apart, never as present. */
  probableOnly: PersonRow[];
  unknownTracks: { count: number; tracks: UnknownTrack[] };
  negatives: Negative[];
}

function best(state: AttendanceState, personId: string, confirmedOnly: boolean) {
  let first: TrackEvidence | null = null;
  let top: TrackEvidence | null = null;
  let count = 0;
  for (const t of Object.values(state.people[personId] ?? {})) {
    if (state.rejected[evidenceKey(personId, t.trackId)] || (confirmedOnly && !t.confirmed)) continue;
    count++;
    if (first === null || t.firstAt < first.firstAt) first = t;
    if (top === null || t.bestScore > top.bestScore) top = t;
  }
  return { first, top, count };
}

/** The row of one person at an instant; the rules are in README.md ("Statuses"). */
export function personRow(state: AttendanceState, personId: string, now: number): PersonRow {
  const occ = state.occurrence;
  const manualOf = (action: "mark-present" | "excuse") => {
    const e = state.corrections.findLast((c) => c.personId === personId && c.action === action);
    return e ? { action, by: e.by, at: e.at } : null;
  };
  const seen = best(state, personId, true);
  const anyNamed = seen.count > 0 ? seen : best(state, personId, false);
  const marked = manualOf("mark-present");
  const excuse = manualOf("excuse");
  let status: PersonStatus;
  let manual: PersonRow["manual"] = null;
  if (marked) [status, manual] = ["present", marked];
  else if (seen.first) status = seen.first.firstAt <= occ.startAt + occ.graceMinutes * MINUTE ? "present" : "late";
  else if (excuse) [status, manual] = ["excused", excuse];
  else status = now >= occ.endAt ? "absent" : "not-yet-seen";
  const shown = seen.count > 0 ? seen : anyNamed;
  return {
    personId,
    status,
    onRoster: state.onRoster[personId] === true,
    firstSeenAt: seen.first?.firstAt ?? null,
    bestScore: shown.top?.bestScore ?? null,
    bestTrackId: shown.top?.trackId ?? null,
    bestCrop: shown.top?.bestCrop ?? null,
    cameraId: shown.top?.cameraId ?? null,
    tracks: seen.count,
    probableOnly: seen.count === 0 && anyNamed.count > 0,
    manual,
  };
}

/** The unknown faces: tracks that never named anyone. */
export function unknownTracksOf(state: AttendanceState): UnknownTrack[] {
  return Object.values(state.unknownTracks)
    .filter((u) => !state.namedTracks[u.trackId])
    .sort((a, b) => a.firstAt - b.firstAt || a.trackId.localeCompare(b.trackId));
}

const byArrival = (a: PersonRow, b: PersonRow) =>
  (a.firstSeenAt ?? Number.MAX_SAFE_INTEGER) - (b.firstSeenAt ?? Number.MAX_SAFE_INTEGER) || a.personId.localeCompare(b.personId);

/** Everyone the occurrence knows of: the roster, then whoever was seen or corrected, sorted. */
export function peopleOf(state: AttendanceState): string[] {
  const ids = new Set([...state.roster, ...Object.keys(state.people), ...state.corrections.map((c) => c.personId)]);
  return [...ids].sort();
}

/** The occurrence as a teacher sees it at `now` (epoch ms). */
export function attendanceView(state: AttendanceState, now: number): AttendanceView {
  const occ = state.occurrence;
  const view: AttendanceView = {
    occurrenceId: occ.occurrenceId,
    sessionId: occ.sessionId,
    date: occ.date,
    kind: occ.kind,
    startAt: occ.startAt,
    endAt: occ.endAt,
    lateAfter: occ.startAt + occ.graceMinutes * MINUTE,
    phase: now < occ.startAt ? "upcoming" : now < occ.endAt ? "running" : "ended",
    at: now,
    expected: [...state.roster],
    present: [],
    late: [],
    absent: [],
    notYetSeen: [],
    excused: [],
    unexpected: [],
    probableOnly: [],
    unknownTracks: { count: 0, tracks: unknownTracksOf(state) },
    negatives: [...state.negatives],
  };
  view.unknownTracks.count = view.unknownTracks.tracks.length;
  for (const personId of peopleOf(state)) {
    const row = personRow(state, personId, now);
    if (row.probableOnly) view.probableOnly.push(row);
    if (!row.onRoster) {
      if (row.status === "present" || row.status === "late") view.unexpected.push(row);
      continue;
    }
    const lists = {
      present: view.present,
      late: view.late,
      absent: view.absent,
      "not-yet-seen": view.notYetSeen,
      excused: view.excused,
    };
    lists[row.status].push(row);
  }
  for (const list of [view.present, view.late, view.unexpected]) list.sort(byArrival);
  return view;
}
