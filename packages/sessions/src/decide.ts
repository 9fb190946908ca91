import type { z } from "zod";
import {
  AttendanceCorrectedData,
  ExamCheckRecordedData,
  GroupCreatedData,
  type GroupKind,
  SessionChangedData,
  type SessionDefinition,
  SessionScheduledData,
  type SessionsEvent,
  sessionsEvent,
} from "./events.ts";
import { isTimeZone, occurrenceOn } from "./schedule.ts";
import { type SessionState, type SessionsState, normalizeName } from "./state.ts";

export { evolve } from "./state.ts";

/**
 * What may change groups, sessions and attendance: the one pure decider of this package. Given the state the events
 * fold (`evolve`), a command becomes the events to append or a rejection with a reason a person can act on.
 */

export type RejectionCode =
  | "invalid"
  | "unknown-group"
  | "unknown-session"
  | "unknown-person"
  | "unknown-occurrence"
  | "unknown-time-zone"
  | "group-exists"
  | "session-exists"
  | "duplicate-name"
  | "group-in-use"
  | "end-before-start"
  | "until-before-first-date"
  | "empty-roster"
  | "no-cameras"
  | "cancelled"
  | "not-an-exam"
  | "not-started"
  | "missing-track"
  | "nothing-to-undo";

export interface Rejection {
  code: RejectionCode;
  message: string;
}

export type Decision = { events: SessionsEvent[] } | { rejection: Rejection };

type Data<S extends z.ZodType> = z.infer<S>;

export type SessionsCommand =
  | { kind: "create-group"; groupId: string; name: string; groupKind?: GroupKind; by: string }
  | { kind: "rename-group"; groupId: string; name: string; by: string }
  | { kind: "delete-group"; groupId: string; by: string }
  | { kind: "change-members"; groupId: string; add: string[]; remove: string[]; by: string }
  | { kind: "schedule-session"; session: Data<typeof SessionScheduledData> }
  | { kind: "change-session"; change: Data<typeof SessionChangedData> }
  | { kind: "cancel-session"; sessionId: string; date?: string; by: string; reason?: string }
  | { kind: "correct-attendance"; correction: Data<typeof AttendanceCorrectedData> }
  | { kind: "record-exam-check"; check: Data<typeof ExamCheckRecordedData> };

const reject = (code: RejectionCode, message: string): Decision => ({ rejection: { code, message } });

/** A zod failure as an "invalid" rejection naming the field, or null when the data parses. */
function invalid(schema: z.ZodType, data: unknown): Decision | null {
  const r = schema.safeParse(data);
  if (r.success) return null;
  const issue = r.error.issues[0];
  return reject("invalid", `${issue?.path.join(".") || "command"}: ${issue?.message ?? "invalid"}`);
}

const unknownGroup = (groupId: string) => reject("unknown-group", `there is no group ${groupId} (deleted?)`);
const unknownSession = (sessionId: string) => reject("unknown-session", `there is no session ${sessionId}`);
const unknownPeople = (ids: string[]) =>
  reject("unknown-person", `not in the library: ${ids.join(", ")} (removed, or a typo in the id?)`);

function groupNameTaken(state: SessionsState, name: string, except: string | null): string | null {
  const n = normalizeName(name);
  for (const g of state.groups.values()) if (g.groupId !== except && normalizeName(g.name) === n) return g.groupId;
  return null;
}

function sessionNameTaken(state: SessionsState, name: string, except: string | null): string | null {
  const n = normalizeName(name);
  for (const s of state.sessions.values()) {
    if (s.sessionId !== except && !s.cancelled && normalizeName(s.name) === n) return s.sessionId;
  }
  return null;
}

/** The rules of a session's definition beyond its field formats. */
function checkDefinition(state: SessionsState, d: SessionDefinition, sessionId: string): Decision | null {
  if (d.cameras.length === 0) return reject("no-cameras", "a session needs at least one camera");
  const bad = invalid(SessionScheduledData, { ...d, sessionId, owner: "x" });
  if (bad) return bad;
  if (!isTimeZone(d.timeZone)) {
    return reject("unknown-time-zone", `unknown time zone "${d.timeZone}" (an IANA name such as Europe/Moscow)`);
  }
  if (d.end <= d.start) return reject("end-before-start", `the end ${d.end} is not after the start ${d.start}`);
  if (d.recurrence.kind === "weekly" && d.recurrence.until < d.firstDate) {
    return reject("until-before-first-date", `the recurrence ends (${d.recurrence.until}) before the first date ${d.firstDate}`);
  }
  if (d.roster.groups.length + d.roster.people.length === 0) {
    return reject("empty-roster", "the roster names no group and no person");
  }
  const groups = d.roster.groups.filter((g) => !state.groups.has(g));
  if (groups.length > 0) return reject("unknown-group", `no such group: ${groups.join(", ")}`);
  const people = d.roster.people.filter((p) => !state.people.has(p));
  if (people.length > 0) return unknownPeople(people);
  const taken = sessionNameTaken(state, d.name, sessionId);
  if (taken) return reject("duplicate-name", `session ${taken} is already named "${d.name}"`);
  return null;
}

const definitionOf = (s: SessionState): SessionDefinition => ({
  name: s.name,
  kind: s.kind,
  cameras: s.cameras,
  timeZone: s.timeZone,
  start: s.start,
  end: s.end,
  firstDate: s.firstDate,
  recurrence: s.recurrence,
  exceptions: s.exceptions,
  roster: s.roster,
  graceMinutes: s.graceMinutes,
});

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decideChangeSession(state: SessionsState, change: Data<typeof SessionChangedData>): Decision {
  const s = state.sessions.get(change.sessionId);
  if (!s) return unknownSession(change.sessionId);
  if (s.cancelled) return reject("cancelled", `session ${s.sessionId} is cancelled`);
  const current: Record<string, unknown> = { ...definitionOf(s), owner: s.owner };
  const diff: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(change)) {
    if (k !== "sessionId" && k !== "by" && v !== undefined && !same(current[k], v)) diff[k] = v;
  }
  if (Object.keys(diff).length === 0) return { events: [] };
  const { owner, ...merged } = { ...current, ...diff } as SessionDefinition & { owner: string };
  const bad =
    checkDefinition(state, merged, s.sessionId) ??
    invalid(SessionChangedData, { ...diff, sessionId: s.sessionId, by: change.by });
  if (bad) return bad;
  return { events: [sessionsEvent("SessionChanged", { ...diff, sessionId: s.sessionId, by: change.by })] };
}

function decideCorrection(state: SessionsState, c: Data<typeof AttendanceCorrectedData>): Decision {
  const bad = invalid(AttendanceCorrectedData, c);
  if (bad) return bad;
  const s = state.sessions.get(c.sessionId);
  if (!s) return unknownSession(c.sessionId);
  const occ = occurrenceOn(s, c.date);
  if (!occ) {
    return reject(
      "unknown-occurrence",
      `session ${s.sessionId} has no occurrence on ${c.date} (not planned, an exception, or cancelled)`,
    );
  }
  if (!state.people.has(c.personId)) return unknownPeople([c.personId]);
  const inForce = (state.corrections.get(occ.occurrenceId) ?? []).filter((r) => r.personId === c.personId);
  switch (c.action) {
    case "undo":
      if (inForce.length === 0) return reject("nothing-to-undo", `no correction of ${c.personId} on ${occ.occurrenceId} to undo`);
      break;
    case "reject-recognition":
      if (c.trackId === undefined) return reject("missing-track", "reject-recognition names the track it rejects");
      if (inForce.some((r) => r.action === c.action && r.trackId === c.trackId)) return { events: [] };
      break;
    case "mark-present":
      if (Date.parse(c.at) < occ.startAt) {
        return reject(
          "not-started",
          `${occ.occurrenceId} starts at ${new Date(occ.startAt).toISOString()}: mark present once it has started`,
        );
      }
      if (inForce.some((r) => r.action === c.action)) return { events: [] };
      break;
    case "excuse":
      if (inForce.some((r) => r.action === c.action)) return { events: [] };
      break;
  }
  return { events: [sessionsEvent("AttendanceCorrected", c)] };
}

function decideExamCheck(state: SessionsState, c: Data<typeof ExamCheckRecordedData>): Decision {
  const bad = invalid(ExamCheckRecordedData, c);
  if (bad) return bad;
  const s = state.sessions.get(c.sessionId);
  if (!s) return unknownSession(c.sessionId);
  if (s.kind !== "exam") return reject("not-an-exam", `session ${s.sessionId} is a ${s.kind}, not an exam`);
  if (!occurrenceOn(s, c.date)) return reject("unknown-occurrence", `session ${s.sessionId} has no occurrence on ${c.date}`);
  if (!state.people.has(c.personId)) return unknownPeople([c.personId]);
  return { events: [sessionsEvent("ExamCheckRecorded", c)] };
}

function decideGroup(
  state: SessionsState,
  c: Extract<SessionsCommand, { kind: `${string}-group` | "change-members" }>,
): Decision {
  switch (c.kind) {
    case "create-group": {
      const data = { groupId: c.groupId, name: c.name, ...(c.groupKind ? { kind: c.groupKind } : {}), by: c.by };
      const bad = invalid(GroupCreatedData, data);
      if (bad) return bad;
      if (state.groups.has(c.groupId)) return reject("group-exists", `group ${c.groupId} already exists`);
      const taken = groupNameTaken(state, c.name, null);
      if (taken) return reject("duplicate-name", `group ${taken} is already named "${c.name}"`);
      return { events: [sessionsEvent("GroupCreated", data)] };
    }
    case "rename-group": {
      const g = state.groups.get(c.groupId);
      if (!g) return unknownGroup(c.groupId);
      if (g.name === c.name) return { events: [] };
      const bad = invalid(GroupCreatedData, { groupId: c.groupId, name: c.name, by: c.by });
      if (bad) return bad;
      const taken = groupNameTaken(state, c.name, c.groupId);
      if (taken) return reject("duplicate-name", `group ${taken} is already named "${c.name}"`);
      return { events: [sessionsEvent("GroupRenamed", { groupId: c.groupId, name: c.name, by: c.by })] };
    }
    case "delete-group": {
      if (!state.groups.has(c.groupId)) return unknownGroup(c.groupId);
      const users = [...state.sessions.values()].filter((s) => !s.cancelled && s.roster.groups.includes(c.groupId));
      if (users.length > 0) {
        return reject(
          "group-in-use",
          `sessions ${users.map((s) => s.sessionId).join(", ")} have group ${c.groupId} on their roster`,
        );
      }
      return { events: [sessionsEvent("GroupDeleted", { groupId: c.groupId, by: c.by })] };
    }
    case "change-members": {
      const g = state.groups.get(c.groupId);
      if (!g) return unknownGroup(c.groupId);
      const unknown = c.add.filter((p) => !state.people.has(p));
      if (unknown.length > 0) return unknownPeople(unknown);
      const added = [...new Set(c.add)].filter((p) => !g.members.has(p));
      const removed = [...new Set(c.remove)].filter((p) => g.members.has(p) && !c.add.includes(p));
      if (added.length + removed.length === 0) return { events: [] };
      return { events: [sessionsEvent("GroupMembersChanged", { groupId: c.groupId, added, removed, by: c.by })] };
    }
  }
}

/**
 * Decides a command:
 *
 * - groups: `create-group` (new id, a name no other group has, compared ignoring case, spaces and Unicode form),
 *   `rename-group` (same name: no event), `delete-group` (not while a live session has it on its roster),
 *   `change-members` (added people must be in the library; only real changes are recorded, none: no event; a person
 *   both added and removed stays);
 * - sessions: `schedule-session` and `change-session` check the definition (cameras, formats, a known IANA zone,
 *   end after start, until not before the first date, a roster naming known groups and people, a unique name among
 *   live sessions); a change records only the fields that differ; `cancel-session` cancels the series, or one
 *   occurrence that exists;
 * - `correct-attendance`: the occurrence exists (planned, not an exception, not cancelled), the person is in the
 *   library; mark-present not before the start; reject-recognition names a track; undo needs a correction in force;
 *   a correction already in force is no event;
 * - `record-exam-check`: on an occurrence of an exam, for a person in the library.
 */
export function decide(command: SessionsCommand, state: SessionsState): Decision {
  switch (command.kind) {
    case "create-group":
    case "rename-group":
    case "delete-group":
    case "change-members":
      return decideGroup(state, command);
    case "schedule-session": {
      const { sessionId, owner, ...def } = command.session;
      if (state.sessions.has(sessionId)) return reject("session-exists", `session ${sessionId} already exists`);
      const bad = checkDefinition(state, def, sessionId) ?? invalid(SessionScheduledData, command.session);
      if (bad) return bad;
      return { events: [sessionsEvent("SessionScheduled", command.session)] };
    }
    case "change-session":
      return decideChangeSession(state, command.change);
    case "cancel-session": {
      const s = state.sessions.get(command.sessionId);
      if (!s) return unknownSession(command.sessionId);
      if (s.cancelled) return reject("cancelled", `session ${s.sessionId} is already cancelled`);
      if (command.date !== undefined && !occurrenceOn(s, command.date)) {
        return reject("unknown-occurrence", `session ${s.sessionId} has no occurrence on ${command.date}`);
      }
      const { kind: _, ...data } = command;
      return { events: [sessionsEvent("SessionCancelled", data)] };
    }
    case "correct-attendance":
      return decideCorrection(state, command.correction);
    case "record-exam-check":
      return decideExamCheck(state, command.check);
    default: {
      const never: never = command;
      throw new Error(`unknown sessions command ${JSON.stringify(never)}`);
    }
  }
}
