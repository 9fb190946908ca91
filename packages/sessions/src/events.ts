import { IsoTime, Token } from "@persona/contracts";
import { z } from "zod";

/**
 * The events of groups, sessions and attendance corrections. Plain zod objects `{type, version, data}` for now:
 * phase 2 registers them in contracts (`define({type, version, stream, data, subject})`) with these data schemas.
 */

/** Group, session, person and camera ids: the contracts' Token (letters, digits, '_' and '-', 1-64 characters). */
export const Id = Token;
export const PersonId = Token;

/** A calendar date "YYYY-MM-DD" that exists (2025-02-30 does not). */
export const LocalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date is YYYY-MM-DD")
  .refine(isRealDate, "no such date");
/** A local wall-clock time "HH:MM", 00:00 to 23:59. */
export const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time is HH:MM (00:00 to 23:59)");

export function isRealDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

const Name = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/\p{Cc}/u.test(s), "a name may not contain control characters")
  .refine((s) => s.trim().length > 0, "a name may not be blank");
const By = z.string().min(1).max(200);

export const GroupKind = z.enum(["course", "staff", "guests", "other"]);
export type GroupKind = z.infer<typeof GroupKind>;
export const SessionKind = z.enum(["class", "exam", "event"]);
export type SessionKind = z.infer<typeof SessionKind>;

export const Recurrence = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({
    kind: z.literal("weekly"),
    /** Days of the week in the session's time zone, 0 = Sunday .. 6 = Saturday. */
    days: z.array(z.number().int().min(0).max(6)).min(1),
    /** The last date an occurrence may fall on (inclusive). */
    until: LocalDate,
  }),
]);
export type Recurrence = z.infer<typeof Recurrence>;

export const Roster = z.object({ groups: z.array(Id), people: z.array(PersonId) });
export type Roster = z.infer<typeof Roster>;

// ---------------------------------------------------------------- groups

export const GroupCreatedData = z.object({ groupId: Id, name: Name, kind: GroupKind.optional(), by: By });
export const GroupRenamedData = z.object({ groupId: Id, name: Name, by: By });
export const GroupDeletedData = z.object({ groupId: Id, by: By });
export const GroupMembersChangedData = z.object({
  groupId: Id,
  added: z.array(PersonId),
  removed: z.array(PersonId),
  by: By,
});

// ---------------------------------------------------------------- sessions

/** What defines a session (all but its id and owner may change). */
export const SessionDefinition = z.object({
  name: Name,
  kind: SessionKind,
  cameras: z.array(Id).min(1),
  /** IANA time zone of start, end, firstDate, recurrence and exceptions ("Europe/Moscow"). */
  timeZone: z.string().min(1),
  start: LocalTime,
  end: LocalTime,
  firstDate: LocalDate,
  recurrence: Recurrence,
  /** Dates on which a recurring session does not take place. */
  exceptions: z.array(LocalDate),
  roster: Roster,
  /** Minutes after the start within which an arrival is on time. */
  graceMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60),
});
export type SessionDefinition = z.infer<typeof SessionDefinition>;

export const SessionScheduledData = SessionDefinition.extend({ sessionId: Id, owner: By });
export const SessionChangedData = SessionDefinition.partial().extend({ sessionId: Id, owner: By.optional(), by: By });
/** Without a date the whole series is cancelled; with one, that occurrence only. */
export const SessionCancelledData = z.object({
  sessionId: Id,
  date: LocalDate.optional(),
  by: By,
  reason: z.string().max(500).optional(),
});

// ---------------------------------------------------------------- attendance

export const CorrectionAction = z.enum(["mark-present", "excuse", "reject-recognition", "undo"]);
export type CorrectionAction = z.infer<typeof CorrectionAction>;

export const AttendanceCorrectedData = z.object({
  sessionId: Id,
  date: LocalDate,
  personId: PersonId,
  action: CorrectionAction,
  /** The recognition a reject-recognition refutes. */
  trackId: Id.optional(),
  by: By,
  reason: z.string().max(500).optional(),
  at: IsoTime,
});

export const ExamVerdict = z.enum(["confirmed", "flagged"]);
export type ExamVerdict = z.infer<typeof ExamVerdict>;

export const ExamCheckRecordedData = z.object({
  sessionId: Id,
  date: LocalDate,
  personId: PersonId,
  trackId: Id,
  verdict: ExamVerdict,
  by: By,
  at: IsoTime,
});

const event = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ type: z.literal(type), version: z.literal(1), data });

export const GroupCreated = event("GroupCreated", GroupCreatedData);
export const GroupRenamed = event("GroupRenamed", GroupRenamedData);
export const GroupDeleted = event("GroupDeleted", GroupDeletedData);
export const GroupMembersChanged = event("GroupMembersChanged", GroupMembersChangedData);
export const SessionScheduled = event("SessionScheduled", SessionScheduledData);
export const SessionChanged = event("SessionChanged", SessionChangedData);
export const SessionCancelled = event("SessionCancelled", SessionCancelledData);
export const AttendanceCorrected = event("AttendanceCorrected", AttendanceCorrectedData);
export const ExamCheckRecorded = event("ExamCheckRecorded", ExamCheckRecordedData);

export const SessionsEvent = z.discriminatedUnion("type", [
  GroupCreated,
  GroupRenamed,
  GroupDeleted,
  GroupMembersChanged,
  SessionScheduled,
  SessionChanged,
  SessionCancelled,
  AttendanceCorrected,
  ExamCheckRecorded,
]);
export type SessionsEvent = z.infer<typeof SessionsEvent>;
export type SessionsEventType = SessionsEvent["type"];
export type SessionsDataOf<T extends SessionsEventType> = Extract<SessionsEvent, { type: T }>["data"];

/** An event of this family built from its data (version 1). */
export const sessionsEvent = <T extends SessionsEventType>(type: T, data: SessionsDataOf<T>) =>
  ({ type, version: 1, data }) as Extract<SessionsEvent, { type: T }>;
