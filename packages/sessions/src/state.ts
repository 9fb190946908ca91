import type { CorrectionAction, GroupKind, SessionDefinition, SessionsEvent } from "./events.ts";
import { type Occurrence, type Schedulable, occurrenceOn } from "./schedule.ts";

/**
 * The groups and sessions as their events fold them (`evolve`), with the people of the library the decider checks
 * ids against. Maps keyed by id: the state is rebuilt from the events, never stored.
 */

export interface GroupState {
  groupId: string;
  name: string;
  kind: GroupKind | null;
  members: Set<string>;
}

export interface SessionState extends Schedulable {
  owner: string;
  cancelledDates: string[];
}

/** A correction as the decider keeps it (to know what an undo undoes). */
export interface CorrectionRecord {
  personId: string;
  action: Exclude<CorrectionAction, "undo">;
  trackId: string | null;
}

export interface SessionsState {
  groups: Map<string, GroupState>;
  sessions: Map<string, SessionState>;
  /** The library's people: id -> name. */
  people: Map<string, string>;
  /** Per occurrence id, the corrections still in force, oldest first. */
  corrections: Map<string, CorrectionRecord[]>;
}

export const emptySessions = (): SessionsState => ({
  groups: new Map(),
  sessions: new Map(),
  people: new Map(),
  corrections: new Map(),
});

/**
 * What the sessions need of the LIBRARY stream: its envelopes have this shape, so phase 2 passes PersonEnrolled,
 * PersonUpdated and PersonRemoved straight in.
 */
export type PeopleFact =
  | { type: "PersonEnrolled"; data: { personId: string; name: string } }
  | { type: "PersonUpdated"; data: { personId: string; name?: string | undefined } }
  | { type: "PersonRemoved"; data: { personId: string } };

/** Names compare after Unicode NFC, case folding and whitespace collapsing ("  рогов  Игорь" = "Рогов Игорь"). */
export const normalizeName = (s: string) => s.normalize("NFC").toLocaleLowerCase("und").replace(/\s+/gu, " ").trim();

function applyCorrection(state: SessionsState, d: Extract<SessionsEvent, { type: "AttendanceCorrected" }>["data"]) {
  const key = `${d.sessionId}@${d.date}`;
  const list = state.corrections.get(key) ?? [];
  if (d.action === "undo") {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]?.personId === d.personId) {
        list.splice(i, 1);
        break;
      }
    }
  } else list.push({ personId: d.personId, action: d.action, trackId: d.trackId ?? null });
  state.corrections.set(key, list);
}

function removePerson(state: SessionsState, personId: string) {
  state.people.delete(personId);
  for (const g of state.groups.values()) g.members.delete(personId);
  for (const s of state.sessions.values()) {
    if (s.roster.people.includes(personId)) s.roster = { ...s.roster, people: s.roster.people.filter((p) => p !== personId) };
  }
}

/**
 * Folds one event (of this family or a library person event) into the state, in place. Events the decider would not
 * have produced (an unknown group or session) change nothing; phase 2's projection applies each event once by sequence.
 */
export function evolve(state: SessionsState, event: SessionsEvent | PeopleFact): SessionsState {
  switch (event.type) {
    case "PersonEnrolled":
      state.people.set(event.data.personId, event.data.name);
      break;
    case "PersonUpdated":
      if (event.data.name !== undefined && state.people.has(event.data.personId)) {
        state.people.set(event.data.personId, event.data.name);
      }
      break;
    case "PersonRemoved":
      removePerson(state, event.data.personId);
      break;
    case "GroupCreated": {
      const { groupId, name, kind } = event.data;
      if (!state.groups.has(groupId)) state.groups.set(groupId, { groupId, name, kind: kind ?? null, members: new Set() });
      break;
    }
    case "GroupRenamed": {
      const g = state.groups.get(event.data.groupId);
      if (g) g.name = event.data.name;
      break;
    }
    case "GroupDeleted":
      state.groups.delete(event.data.groupId);
      for (const s of state.sessions.values()) {
        const groups = s.roster.groups.filter((g) => g !== event.data.groupId);
        if (groups.length !== s.roster.groups.length) s.roster = { ...s.roster, groups };
      }
      break;
    case "GroupMembersChanged": {
      const g = state.groups.get(event.data.groupId);
      if (!g) break;
      for (const p of event.data.added) g.members.add(p);
      for (const p of event.data.removed) g.members.delete(p);
      break;
    }
    case "SessionScheduled": {
      const { sessionId, owner, ...def } = event.data;
      if (!state.sessions.has(sessionId)) {
        state.sessions.set(sessionId, { ...def, sessionId, owner, cancelled: false, cancelledDates: [] });
      }
      break;
    }
    case "SessionChanged": {
      const s = state.sessions.get(event.data.sessionId);
      if (!s) break;
      const { sessionId: _, by: __, ...change } = event.data;
      for (const [k, v] of Object.entries(change)) if (v !== undefined) Object.assign(s, { [k]: v });
      break;
    }
    case "SessionCancelled": {
      const s = state.sessions.get(event.data.sessionId);
      if (!s) break;
      const { date } = event.data;
      if (date === undefined) s.cancelled = true;
      else if (!s.cancelledDates.includes(date)) s.cancelledDates = [...s.cancelledDates, date];
      break;
    }
    case "AttendanceCorrected":
      applyCorrection(state, event.data);
      break;
    case "ExamCheckRecorded":
    case "OccurrenceStarted":
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown sessions event ${JSON.stringify(never)}`);
    }
  }
  return state;
}

/**
 * The people a session expects: the members of its roster's groups and its people, who are in the library, sorted.
 * Resolved when an occurrence opens (phase 2: at its start), so later group changes do not rewrite past occurrences.
 */
export function resolveRoster(state: SessionsState, roster: SessionDefinition["roster"]): string[] {
  const out = new Set<string>();
  for (const gid of roster.groups) for (const p of state.groups.get(gid)?.members ?? []) out.add(p);
  for (const p of roster.people) out.add(p);
  return [...out].filter((p) => state.people.has(p)).sort();
}

/** The occurrence of a session on a date, or null (unknown session, not planned that day, cancelled). */
export function findOccurrence(state: SessionsState, sessionId: string, date: string): Occurrence | null {
  const s = state.sessions.get(sessionId);
  return s === undefined ? null : occurrenceOn(s, date);
}
