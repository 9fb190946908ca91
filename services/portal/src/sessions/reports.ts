import {
  type AttendanceState,
  type AttendanceView,
  DEFAULT_RATE_THRESHOLD,
  type SessionState,
  attendanceRates,
  attendanceView,
  groupReport,
  occurrenceCsv,
  occurrenceIdOf,
  occurrencesBetween,
  openAttendance,
  ratesCsv,
  resolveRoster,
} from "@persona/sessions";
import type { z } from "zod";
import type { AttendanceRates } from "../http/schemas.ts";
import type { SessionsFold } from "./fold.ts";
import type { ImageSource, PdfOptions } from "./pdf/document.ts";
import { type OccurrencePdfInput, occurrencePdf } from "./pdf/occurrencePdf.ts";
import { type RatesPdfInput, ratesPdf } from "./pdf/ratesPdf.ts";
import { examReportOf, occurrenceViewOf, rateOf } from "./views.ts";

/**
 * The sessions' reports over a fold (the portal's, or one `persona report` replayed): one occurrence as CSV, rates
 * across a session's series or a group's sessions in a period, as JSON, CSV or a printable PDF. Shared by the routes
 * and the CLI.
 */

const DAY = 24 * 3600_000;

export class ReportError extends Error {
  override name = "ReportError";
  constructor(
    readonly kind: "not-found" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/** The fold of an occurrence: kept, or opened now without being kept. */
function stateOf(fold: SessionsFold, s: SessionState, date: string): AttendanceState | null {
  const p = fold.projection;
  const open = p.occurrences[occurrenceIdOf(s.sessionId, date)];
  if (open) return open;
  const occ = occurrencesBetween(s, Date.parse(`${date}T00:00:00Z`) - DAY, Date.parse(`${date}T00:00:00Z`) + 2 * DAY).find(
    (o) => o.date === date,
  );
  return occ ? openAttendance(occ, resolveRoster(p.sessions, s.roster), p.earlyMinutes) : null;
}

function sessionIn(fold: SessionsFold, sessionId: string): SessionState {
  const s = fold.projection.sessions.sessions.get(sessionId);
  if (!s) throw new ReportError("not-found", `session ${sessionId} not found`);
  return s;
}

/** One occurrence as CSV (a row per person, then per unknown track). */
export function occurrenceReportCsv(fold: SessionsFold, sessionId: string, date: string, now: number): string {
  const state = stateOf(fold, sessionIn(fold, sessionId), date);
  if (state === null) throw new ReportError("not-found", `session ${sessionId} has no occurrence on ${date}`);
  return occurrenceCsv(attendanceView(state, now), fold.names());
}

/** What the printable report of an occurrence shows: its view, the session's times and zone, an exam's identity report. */
export function occurrenceReport(fold: SessionsFold, sessionId: string, date: string, now: number): OccurrencePdfInput {
  const s = sessionIn(fold, sessionId);
  const state = stateOf(fold, s, date);
  if (state === null) throw new ReportError("not-found", `session ${sessionId} has no occurrence on ${date}`);
  return {
    view: occurrenceViewOf(fold, state, now),
    timeZone: s.timeZone,
    graceMinutes: state.occurrence.graceMinutes,
    cameras: state.occurrence.cameras,
    exam: state.occurrence.kind === "exam" ? examReportOf(fold, state, now) : null,
  };
}

/** The views of the sessions' occurrences on local dates from..to (inclusive). */
export function viewsBetween(
  fold: SessionsFold,
  sessions: Iterable<SessionState>,
  from: string,
  to: string,
  now: number,
): AttendanceView[] {
  if (to < from) throw new ReportError("invalid", `the period ends (${to}) before it starts (${from})`);
  if (Date.parse(to) - Date.parse(from) > 400 * DAY) throw new ReportError("invalid", "the period is at most 400 days");
  const views: AttendanceView[] = [];
  for (const s of sessions) {
    const dates = occurrencesBetween(s, Date.parse(`${from}T00:00:00Z`) - DAY, Date.parse(`${to}T00:00:00Z`) + 2 * DAY)
      .map((o) => o.date)
      .filter((d) => d >= from && d <= to);
    for (const date of dates) {
      const state = stateOf(fold, s, date);
      if (state) views.push(attendanceView(state, now));
    }
  }
  return views;
}

/** Rates over a period: the JSON answer of GET /sessions/{id}/rates and /groups/{id}/report (http/schemas.ts). */
export type RatesReport = z.output<typeof AttendanceRates>;

const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The rates of a session's series or of a group's members over a period, with the threshold (default 75%). */
type RatesOf = (
  fold: SessionsFold,
  id: string,
  period: { from: string; to: string },
  now: number,
  threshold?: number,
) => RatesReport;

/** Each person's rate across a session's ended occurrences in the period. */
export const sessionRates: RatesOf = (fold, sessionId, period, now, threshold = DEFAULT_RATE_THRESHOLD) => {
  const views = viewsBetween(fold, [sessionIn(fold, sessionId)], period.from, period.to, now);
  const rates = attendanceRates(views, { threshold });
  return {
    sessionId,
    groupId: null,
    ...period,
    threshold,
    occurrences: views.filter((v) => v.phase === "ended").length,
    meanRate: mean(rates.flatMap((r) => (r.rate === null ? [] : [r.rate]))),
    below: rates.filter((r) => r.below).map((r) => r.personId),
    items: rates.map((r) => rateOf(fold, r)),
  };
};

/** A group's members' rates over every session's ended occurrences in the period that expected one of them. */
export const groupRates: RatesOf = (fold, groupId, period, now, threshold = DEFAULT_RATE_THRESHOLD) => {
  const g = fold.projection.sessions.groups.get(groupId);
  if (!g) throw new ReportError("not-found", `group ${groupId} not found`);
  const views = viewsBetween(fold, fold.projection.sessions.sessions.values(), period.from, period.to, now);
  const r = groupReport(views, { groupId, members: g.members }, period, threshold);
  return {
    sessionId: null,
    groupId,
    ...period,
    threshold,
    occurrences: r.occurrences,
    meanRate: r.meanRate,
    below: r.below,
    items: r.members.map((m) => rateOf(fold, m)),
  };
};

/** Rates as CSV (person_id, name, expected, attended, late, absent, excused, rate, below). */
export const ratesReportCsv = (fold: SessionsFold, r: RatesReport) =>
  ratesCsv(
    r.items.map(({ name: _, ...rate }) => rate),
    fold.names(),
  );

/** What the rates' printable report is titled with: the session's or the group's name. */
export function ratesPdfInput(fold: SessionsFold, r: RatesReport): RatesPdfInput {
  const { sessions, groups } = fold.projection.sessions;
  return r.sessionId !== null
    ? { report: r, kind: "session", title: sessions.get(r.sessionId)?.name ?? r.sessionId }
    : { report: r, kind: "group", title: groups.get(r.groupId ?? "")?.name ?? r.groupId ?? "" };
}

/** One occurrence as a printable PDF (images from `images`: the media stores); a bad request throws at once. */
export function occurrenceReportPdf(
  fold: SessionsFold,
  sessionId: string,
  date: string,
  now: number,
  images: ImageSource,
  o: PdfOptions,
): Promise<Buffer> {
  return occurrencePdf(occurrenceReport(fold, sessionId, date, now), images, o);
}

/** Rates as a printable PDF: a bar per person, those below the threshold highlighted. */
export const ratesReportPdf = (fold: SessionsFold, r: RatesReport, o: PdfOptions): Promise<Buffer> =>
  ratesPdf(ratesPdfInput(fold, r), o);
