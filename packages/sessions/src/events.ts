import {
  AttendanceCorrectedData,
  ExamCheckRecordedData,
  GroupCreatedData,
  GroupDeletedData,
  GroupMembersChangedData,
  GroupRenamedData,
  OccurrenceStartedData,
  SessionCancelledData,
  SessionChangedData,
  SessionScheduledData,
  Token,
} from "@persona/contracts";
import { z } from "zod";

/**
 * The events of groups, sessions and attendance corrections as the pure decider and fold see them: `{type, version,
 * data}`. Their data schemas live in contracts (contracts/src/sessions.ts, registered on the SESSIONS stream in
 * contracts/src/messages.ts) and are re-exported here, so there is one source; an envelope of the bus is one of these
 * with more fields.
 */

/** Group, session, person and camera ids: the contracts' Token (letters, digits, '_' and '-', 1-64 characters). */
export const Id = Token;
export const PersonId = Token;

export {
  AttendanceCorrectedData,
  CorrectionAction,
  ExamCheckRecordedData,
  ExamVerdict,
  GroupCreatedData,
  GroupDeletedData,
  GroupKind,
  GroupMembersChangedData,
  GroupRenamedData,
  isRealDate,
  LocalDate,
  LocalTime,
  OccurrenceEndedData,
  OccurrenceRecord,
  OccurrenceStartedData,
  RecognitionRejectedData,
  Recurrence,
  Roster,
  SessionCancelledData,
  SessionChangedData,
  SessionDefinition,
  SessionKind,
  SessionScheduledData,
} from "@persona/contracts";

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
export const OccurrenceStarted = event("OccurrenceStarted", OccurrenceStartedData);

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
  OccurrenceStarted,
]);
export type SessionsEvent = z.infer<typeof SessionsEvent>;
export type SessionsEventType = SessionsEvent["type"];
export type SessionsDataOf<T extends SessionsEventType> = Extract<SessionsEvent, { type: T }>["data"];

/** An event of this family built from its data (version 1). */
export const sessionsEvent = <T extends SessionsEventType>(type: T, data: SessionsDataOf<T>) =>
  ({ type, version: 1, data }) as Extract<SessionsEvent, { type: T }>;

/** The SESSIONS event types the sessions state folds (OccurrenceEnded and RecognitionRejected are records for others). */
export const SESSIONS_FOLD_TYPES: ReadonlySet<string> = new Set(SessionsEvent.options.map((o) => o.shape.type.value));
