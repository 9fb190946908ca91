import { z } from "zod";
import { IsoTime, Token } from "./envelope.ts";

/**
 * The data of the sessions events (groups, sessions with rosters, attendance corrections, exam verdicts, the
 * occurrences' start and end records, and the negatives a rejected recognition gives self-learning). The single
 * source of these schemas: `messages.ts` registers them on the SESSIONS stream and `@persona/sessions` re-exports
 * them for its pure decide/evolve (see packages/sessions/README.md).
 */

const SessionsId = Token;

/** True when "YYYY-MM-DD" names a date that exists (2025-02-30 does not). */
export function isRealDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** A calendar date "YYYY-MM-DD" that exists (2025-02-30 does not). */
export const LocalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date is YYYY-MM-DD")
  .refine(isRealDate, "no such date");
/** A local wall-clock time "HH:MM", 00:00 to 23:59. */
export const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time is HH:MM (00:00 to 23:59)");

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

export const Roster = z.object({ groups: z.array(SessionsId), people: z.array(SessionsId) });
export type Roster = z.infer<typeof Roster>;

// ---------------------------------------------------------------- groups

export const GroupCreatedData = z.object({ groupId: SessionsId, name: Name, kind: GroupKind.optional(), by: By });
export const GroupRenamedData = z.object({ groupId: SessionsId, name: Name, by: By });
export const GroupDeletedData = z.object({ groupId: SessionsId, by: By });
export const GroupMembersChangedData = z.object({
  groupId: SessionsId,
  added: z.array(SessionsId),
  removed: z.array(SessionsId),
  by: By,
});

// ---------------------------------------------------------------- sessions

/** What defines a session (all but its id and owner may change). */
export const SessionDefinition = z.object({
  name: Name,
  kind: SessionKind,
  cameras: z.array(SessionsId).min(1),
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

export const SessionScheduledData = SessionDefinition.extend({ sessionId: SessionsId, owner: By });
export const SessionChangedData = SessionDefinition.partial().extend({
  sessionId: SessionsId,
  owner: By.optional(),
  by: By,
});
/** Without a date the whole series is cancelled; with one, that occurrence only. */
export const SessionCancelledData = z.object({
  sessionId: SessionsId,
  date: LocalDate.optional(),
  by: By,
  reason: z.string().max(500).optional(),
});

// ---------------------------------------------------------------- occurrences

/** An occurrence as it was when its fold opened: times (epoch ms), cameras, kind and grace are fixed from then on. */
export const OccurrenceRecord = z.object({
  sessionId: SessionsId,
  /** The session's name then. */
  name: z.string(),
  date: LocalDate,
  kind: SessionKind,
  cameras: z.array(SessionsId).min(1),
  startAt: z.number().int(),
  endAt: z.number().int(),
  graceMinutes: z.number().int().min(0),
  shifted: z.boolean(),
});

/**
 * An occurrence's fold opened (at its start, or at its first sighting up to `early` minutes before): the roster it
 * expects, resolved then, so a rebuild from the streams expects the same people whatever happened to the groups since.
 */
export const OccurrenceStartedData = OccurrenceRecord.extend({
  roster: z.array(SessionsId),
  /** When the consumer opened it (its clock). */
  openedAt: IsoTime,
});

/** An occurrence ended: its counts as the consumer saw them at the end (a summary for digests; the fold decides). */
export const OccurrenceEndedData = z.object({
  sessionId: SessionsId,
  date: LocalDate,
  endAt: z.number().int(),
  counts: z.object({
    expected: z.number().int().nonnegative(),
    present: z.number().int().nonnegative(),
    late: z.number().int().nonnegative(),
    absent: z.number().int().nonnegative(),
    excused: z.number().int().nonnegative(),
    unexpected: z.number().int().nonnegative(),
    probableOnly: z.number().int().nonnegative(),
    unknownTracks: z.number().int().nonnegative(),
  }),
  absent: z.array(SessionsId),
});

// ---------------------------------------------------------------- attendance

export const CorrectionAction = z.enum(["mark-present", "excuse", "reject-recognition", "undo"]);
export type CorrectionAction = z.infer<typeof CorrectionAction>;

/** What a record about one person in one occurrence starts with. */
const OccurrencePerson = { sessionId: SessionsId, date: LocalDate, personId: SessionsId };

export const AttendanceCorrectedData = z.object({
  ...OccurrencePerson,
  action: CorrectionAction,
  /** The recognition a reject-recognition refutes. */
  trackId: SessionsId.optional(),
  by: By,
  reason: z.string().max(500).optional(),
  at: IsoTime,
});

export const ExamVerdict = z.enum(["confirmed", "flagged"]);
export type ExamVerdict = z.infer<typeof ExamVerdict>;

export const ExamCheckRecordedData = z.object({
  ...OccurrencePerson,
  trackId: SessionsId,
  verdict: ExamVerdict,
  by: By,
  at: IsoTime,
});

/**
 * A person refuted a recognition (reject-recognition in a session): the track is not this person. A negative for
 * self-learning (the trainer may drop templates learned from the track, or lower its trust); withdrawn by an undo.
 */
export const RecognitionRejectedData = z.object({
  personId: SessionsId,
  trackId: SessionsId,
  /** The camera of the track, when the session saw it. */
  cameraId: SessionsId.nullable(),
  sessionId: SessionsId,
  date: LocalDate,
  by: By,
  at: IsoTime,
  /** false: an undo withdrew the rejection (the recognition stands again). */
  rejected: z.boolean(),
});
