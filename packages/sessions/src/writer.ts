import { setTimeout as sleep } from "node:timers/promises";
import { type Bus, WrongLastSequenceError } from "@persona/bus";
import type { AnyEnvelope } from "@persona/contracts";
import {
  SESSIONS_FOLD_TYPES,
  type Rejection,
  type SessionsCommand,
  type SessionsEvent,
  type SessionsState,
  decide,
  emptySessions,
  evolve,
  occurrenceIdOf,
} from "./index.ts";

/**
 * The one module that appends groups (`@persona/sessions/writer`: the portal, the bot and `persona import` write
 * through it), sessions, corrections and verdicts to SESSIONS. A command's aggregate (a group,
 * a session, an occurrence's corrections) is read fresh from its own subject, the rest of the state is the followed
 * one (`followed`: names of other groups and sessions, the library's people); `decide` answers, and the events go out
 * with the expected last sequence of the aggregate's subject. Another writer in between (another request, another
 * replica) makes the server refuse the append: the command is read and decided again, up to `attempts` times, then
 * it is a `SessionsConflictError` (HTTP 409).
 */

export class SessionsConflictError extends Error {
  override name = "SessionsConflictError";
}

export interface WrittenSessionsEvent {
  env: AnyEnvelope;
  seq: number;
}

export type SessionsWriteOutcome = { events: WrittenSessionsEvent[]; lastSeq: number } | { rejection: Rejection };

interface Aggregate {
  /** The subject the append is guarded on. */
  guard: string;
  /** Subjects read fresh (the guard among them). */
  read: string[];
  /** Removes what the fresh read rebuilds from a copy of the followed state. */
  forget(state: SessionsState): void;
}

function aggregateOf(c: SessionsCommand): Aggregate {
  const group = (groupId: string): Aggregate => ({
    guard: `sessions.group.${groupId}`,
    read: [`sessions.group.${groupId}`],
    forget: (s) => s.groups.delete(groupId),
  });
  const session = (sessionId: string): Aggregate => ({
    guard: `sessions.session.${sessionId}`,
    read: [`sessions.session.${sessionId}`],
    forget: (s) => s.sessions.delete(sessionId),
  });
  const attendance = (sessionId: string, date: string): Aggregate => ({
    guard: `sessions.attendance.${sessionId}.${date}`,
    read: [`sessions.session.${sessionId}`, `sessions.attendance.${sessionId}.${date}`],
    forget: (s) => {
      s.sessions.delete(sessionId);
      s.corrections.delete(occurrenceIdOf(sessionId, date));
    },
  });
  switch (c.kind) {
    case "create-group":
    case "rename-group":
    case "delete-group":
    case "change-members":
      return group(c.groupId);
    case "schedule-session":
      return session(c.session.sessionId);
    case "change-session":
      return session(c.change.sessionId);
    case "cancel-session":
      return session(c.sessionId);
    case "correct-attendance":
      return attendance(c.correction.sessionId, c.correction.date);
    case "record-exam-check":
      return attendance(c.check.sessionId, c.check.date);
  }
}

export class SessionsWriter {
  constructor(
    private readonly bus: Bus,
    private readonly followed: () => SessionsState,
    private readonly attempts = 5,
  ) {}

  async execute(command: SessionsCommand): Promise<SessionsWriteOutcome> {
    const agg = aggregateOf(command);
    for (let attempt = 1; ; attempt++) {
      const { state, lastSeq } = await this.read(agg);
      const decision = decide(command, state);
      if ("rejection" in decision) return decision;
      try {
        return await this.append(decision.events, lastSeq);
      } catch (err) {
        if (!(err instanceof WrongLastSequenceError)) throw err;
        if (attempt >= this.attempts) {
          throw new SessionsConflictError(`${agg.guard} kept changing under ${attempt} attempts; try again`, { cause: err });
        }
        await sleep(5 + Math.random() * 20 * attempt);
      }
    }
  }

  /** The followed state with the aggregate read fresh from its subjects, and its guard subject's last sequence. */
  private async read(agg: Aggregate): Promise<{ state: SessionsState; lastSeq: number }> {
    const state = structuredClone(this.followed());
    agg.forget(state);
    const events: { subject: string; seq: number; env: AnyEnvelope }[] = [];
    let lastSeq = 0;
    // one subject per replay: NATS 2.9 takes one filter per consumer
    for (const subject of agg.read) {
      await this.bus.replay({ stream: "SESSIONS", filter: subject }, (d) => {
        if (d.subject === agg.guard) lastSeq = Math.max(lastSeq, d.seq);
        if (d.env !== null && SESSIONS_FOLD_TYPES.has(d.env.type)) events.push({ subject: d.subject, seq: d.seq, env: d.env });
      });
    }
    for (const e of events.sort((a, b) => a.seq - b.seq)) evolve(state, e.env as unknown as SessionsEvent);
    return { state, lastSeq };
  }

  private async append(events: SessionsEvent[], lastSeq: number): Promise<{ events: WrittenSessionsEvent[]; lastSeq: number }> {
    const out: WrittenSessionsEvent[] = [];
    let expected = lastSeq;
    for (const e of events) {
      const env = this.bus.envelope(e.type, e.data as never) as AnyEnvelope;
      const ack = await this.bus.publish(env, { expectLastSubjectSeq: expected });
      expected = ack.seq;
      out.push({ env, seq: ack.seq });
    }
    return { events: out, lastSeq: expected };
  }
}

/**
 * The groups as SESSIONS holds them (`sessions.group.>`: small), folded into `state` (default a new empty one): what
 * a writer outside the portal (the bot, `persona import`) follows before it decides.
 */
export async function replayGroups(bus: Bus, state: SessionsState = emptySessions()): Promise<SessionsState> {
  await bus.replay({ stream: "SESSIONS", filter: "sessions.group.>" }, (m) => {
    if (m.env !== null && SESSIONS_FOLD_TYPES.has(m.env.type)) evolve(state, m.env as unknown as SessionsEvent);
  });
  return state;
}
