import { randomUUID } from "node:crypto";
import { LocalDate, SessionDefinition } from "@persona/contracts";
import {
  type AttendanceState,
  type SessionState,
  examChecks,
  findOccurrence,
  occurrenceIdOf,
  occurrencesBetween,
  openAttendance,
  resolveRoster,
} from "@persona/sessions";
import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, badRequest, notFound } from "../http/errors.ts";
import { CheckInView, ExamCheck, ExamReport, Id, OccurrenceView, Session, SessionOccurrence, items } from "../http/schemas.ts";
import { byOf, runCommand } from "../sessions/http.ts";
import { checkInViewOf, examCheckOf, examReportOf, occurrenceSummaryOf, occurrenceViewOf } from "../sessions/views.ts";

const SessionParams = z.object({ sessionId: Id });
const OccurrenceParams = z.object({ sessionId: Id, date: LocalDate });
const DAY = 24 * 3600_000;

const sessionOf = (s: SessionState): z.infer<typeof Session> => {
  const { cancelled, cancelledDates, ...rest } = s;
  return { ...rest, cancelled, cancelledDates: [...cancelledDates] };
};

export function sessionNow(c: PortalContext, sessionId: string): SessionState {
  const s = c.attendanceSessions.consumer.fold.projection.sessions.sessions.get(sessionId);
  if (!s) throw notFound(`session ${sessionId}`);
  return s;
}

/**
 * The fold of an occurrence: the consumer's when it has one, else a fresh one (its roster resolved now) that is not
 * kept (a view of a future occurrence changes nothing). 404 when the session has no occurrence that day.
 */
export function occurrenceFold(c: PortalContext, sessionId: string, date: string): AttendanceState {
  const p = c.attendanceSessions.consumer.fold.projection;
  const session = sessionNow(c, sessionId);
  const open = p.occurrences[occurrenceIdOf(sessionId, date)];
  if (open) return open;
  const occ = findOccurrence(p.sessions, sessionId, date);
  if (!occ) throw notFound(`an occurrence of session ${sessionId} on ${date} (not planned, an exception, or cancelled)`);
  return openAttendance(occ, resolveRoster(p.sessions, session.roster), p.earlyMinutes);
}

const CorrectionBody = z
  .object({
    personId: Id,
    action: z.enum(["mark-present", "excuse", "reject-recognition", "undo"]),
    trackId: Id.optional(),
    reason: z.string().max(500).optional(),
  })
  .refine((b) => b.action !== "reject-recognition" || b.trackId !== undefined, {
    message: "reject-recognition names the track it rejects (trackId)",
    path: ["trackId"],
  });

/** Sessions (classes, exams, events): CRUD, occurrences, the live view, corrections, exam checks, check-in. */
export function sessionRoutes(api: Api, c: PortalContext): void {
  const fold = () => c.attendanceSessions.consumer.fold;

  api.add({
    method: "get",
    path: "/sessions",
    summary: "Sessions (cancelled ones too, marked)",
    tag: "sessions",
    role: "viewer",
    responses: { 200: items(Session) },
    async handler() {
      const all = [...fold().projection.sessions.sessions.values()].map(sessionOf);
      return { status: 200, body: { items: all.sort((a, b) => a.name.localeCompare(b.name)) } };
    },
  });

  api.add({
    method: "post",
    path: "/sessions",
    summary: "Schedule a session (once or weekly) with its cameras and roster; the owner defaults to you",
    tag: "sessions",
    role: "operator",
    body: SessionDefinition.extend({ sessionId: Id.optional(), owner: z.string().min(1).max(200).optional() }),
    responses: { 201: Session },
    async handler({ body, session }) {
      const { sessionId = `s-${randomUUID()}`, owner = byOf(session), ...def } = body;
      await runCommand(c, { kind: "schedule-session", session: { ...def, sessionId, owner } });
      return { status: 201, body: sessionOf(sessionNow(c, sessionId)) };
    },
  });

  api.add({
    method: "get",
    path: "/sessions/:sessionId",
    summary: "A session",
    tag: "sessions",
    role: "viewer",
    params: SessionParams,
    responses: { 200: Session },
    async handler({ params }) {
      return { status: 200, body: sessionOf(sessionNow(c, params.sessionId)) };
    },
  });

  api.add({
    method: "patch",
    path: "/sessions/:sessionId",
    summary: "Change a session (only the fields given; occurrences already started keep their roster and times)",
    tag: "sessions",
    role: "operator",
    params: SessionParams,
    body: SessionDefinition.partial()
      .extend({ owner: z.string().min(1).max(200).optional() })
      .refine((b) => Object.keys(b).length > 0, "nothing to change"),
    responses: { 200: Session },
    async handler({ params, body, session }) {
      await runCommand(c, { kind: "change-session", change: { ...body, sessionId: params.sessionId, by: byOf(session) } });
      return { status: 200, body: sessionOf(sessionNow(c, params.sessionId)) };
    },
  });

  api.add({
    method: "delete",
    path: "/sessions/:sessionId",
    summary: "Cancel a session: the whole series, or with `date` one occurrence",
    tag: "sessions",
    role: "operator",
    params: SessionParams,
    query: z.object({ date: LocalDate.optional(), reason: z.string().max(500).optional() }),
    responses: { 200: Session },
    async handler({ params, query, session }) {
      await runCommand(c, {
        kind: "cancel-session",
        sessionId: params.sessionId,
        by: byOf(session),
        ...(query.date ? { date: query.date } : {}),
        ...(query.reason ? { reason: query.reason } : {}),
      });
      return { status: 200, body: sessionOf(sessionNow(c, params.sessionId)) };
    },
  });

  occurrenceRoutes(api, c);
  examRoutes(api, c);
}

/** An occurrence: the list in a window, the live view, corrections, the check-in desk. */
function occurrenceRoutes(api: Api, c: PortalContext): void {
  const now = () => c.attendanceSessions.consumer.clock();
  const fold = () => c.attendanceSessions.consumer.fold;

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences",
    summary: "The session's occurrences in a window (default: 7 days back to 7 days ahead; at most 400 days)",
    tag: "sessions",
    role: "viewer",
    params: SessionParams,
    query: z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() }),
    responses: { 200: items(SessionOccurrence) },
    async handler({ params, query }) {
      const s = sessionNow(c, params.sessionId);
      const t = now();
      const from = query.from ? Date.parse(query.from) : t - 7 * DAY;
      const to = query.to ? Date.parse(query.to) : t + 7 * DAY;
      if (to <= from) throw badRequest("`to` must be after `from`");
      if (to - from > 400 * DAY) throw badRequest("the window is at most 400 days");
      const list = occurrencesBetween(s, from, to).map((o) => occurrenceSummaryOf(fold(), o, t));
      return { status: 200, body: { items: list } };
    },
  });

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences/:date",
    summary: "The live view of an occurrence (also pushed as `session`)",
    tag: "sessions",
    role: "viewer",
    params: OccurrenceParams,
    responses: { 200: OccurrenceView },
    async handler({ params }) {
      return { status: 200, body: occurrenceViewOf(fold(), occurrenceFold(c, params.sessionId, params.date), now()) };
    },
  });

  api.add({
    method: "post",
    path: "/sessions/:sessionId/occurrences/:date/corrections",
    summary:
      "Correct attendance: mark present, excuse, reject a recognition (a negative for self-learning), or undo the person's latest correction; recorded with who did it",
    tag: "sessions",
    role: "operator",
    params: OccurrenceParams,
    body: CorrectionBody,
    responses: { 200: OccurrenceView },
    async handler({ params, body, session }) {
      occurrenceFold(c, params.sessionId, params.date);
      await runCommand(c, {
        kind: "correct-attendance",
        correction: {
          sessionId: params.sessionId,
          date: params.date,
          personId: body.personId,
          action: body.action,
          by: byOf(session),
          at: new Date(now()).toISOString(),
          ...(body.trackId ? { trackId: body.trackId } : {}),
          ...(body.reason ? { reason: body.reason } : {}),
        },
      });
      return { status: 200, body: occurrenceViewOf(fold(), occurrenceFold(c, params.sessionId, params.date), now()) };
    },
  });

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences/:date/check-in",
    summary: "An event's check-in desk: counters, checked in, awaited, walk-ins",
    tag: "sessions",
    role: "viewer",
    params: OccurrenceParams,
    responses: { 200: CheckInView },
    async handler({ params }) {
      return { status: 200, body: checkInViewOf(fold(), occurrenceFold(c, params.sessionId, params.date), now()) };
    },
  });
}

/** Exam mode: the recognitions waiting for a proctor, verdicts, and the end-of-exam identity report. */
function examRoutes(api: Api, c: PortalContext): void {
  const now = () => c.attendanceSessions.consumer.clock();
  const fold = () => c.attendanceSessions.consumer.fold;
  const examFold = (sessionId: string, date: string) => {
    const state = occurrenceFold(c, sessionId, date);
    if (state.occurrence.kind !== "exam")
      throw new ApiError(409, "not-an-exam", `session ${sessionId} is a ${state.occurrence.kind}`);
    return state;
  };

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences/:date/checks",
    summary: "An exam's recognitions with their verdicts (`pending=true`: only those waiting for a proctor)",
    tag: "sessions",
    role: "viewer",
    params: OccurrenceParams,
    query: z.object({ pending: z.enum(["true", "false"]).default("false") }),
    responses: { 200: items(ExamCheck) },
    async handler({ params, query }) {
      const checks = examChecks(examFold(params.sessionId, params.date));
      const shown = query.pending === "true" ? checks.filter((x) => x.verdict === "pending") : checks;
      return { status: 200, body: { items: shown.map((x) => examCheckOf(fold(), x)) } };
    },
  });

  api.add({
    method: "post",
    path: "/sessions/:sessionId/occurrences/:date/checks",
    summary: "A proctor's verdict on a recognition at an exam: confirmed or flagged",
    tag: "sessions",
    role: "operator",
    params: OccurrenceParams,
    body: z.object({ personId: Id, trackId: Id, verdict: z.enum(["confirmed", "flagged"]) }),
    responses: { 200: items(ExamCheck) },
    async handler({ params, body, session }) {
      const state = examFold(params.sessionId, params.date);
      if (state.people[body.personId]?.[body.trackId] === undefined) {
        throw notFound(`a recognition of ${body.personId} on track ${body.trackId} in this exam`);
      }
      await runCommand(c, {
        kind: "record-exam-check",
        check: { sessionId: params.sessionId, date: params.date, ...body, by: byOf(session), at: new Date(now()).toISOString() },
      });
      const checks = examChecks(examFold(params.sessionId, params.date));
      return { status: 200, body: { items: checks.map((x) => examCheckOf(fold(), x)) } };
    },
  });

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences/:date/exam-report",
    summary: "The identity report of an exam: every candidate with the evidence, verdicts, two-room flags and alerts",
    tag: "sessions",
    role: "viewer",
    params: OccurrenceParams,
    responses: { 200: ExamReport },
    async handler({ params }) {
      return { status: 200, body: examReportOf(fold(), examFold(params.sessionId, params.date), now()) };
    },
  });
}
