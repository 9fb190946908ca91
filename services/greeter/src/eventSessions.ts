import { type FollowerLog, StreamFold } from "@persona/library";
import {
  type Schedulable,
  type SessionsEvent,
  type SessionsState,
  emptySessions,
  evolve,
  occurrencesBetween,
} from "@persona/sessions";
import type { EventAtCamera } from "./greetingPolicy.ts";

/**
 * The sessions the greeter knows of: `sessions.session.>` on SESSIONS (scheduled, changed, cancelled) followed from
 * the start into the sessions' pure fold, so the greeter can tell, for a recognition, which event occurrences it
 * falls in (at one of their cameras, within [start - early, end]) without waiting for the portal's records.
 */

const SESSION_TYPES = new Set(["SessionScheduled", "SessionChanged", "SessionCancelled"]);

export interface SessionsView {
  seq: number;
  sessions: SessionsState;
}

export class SessionsFollower extends StreamFold<SessionsView> {
  constructor(log: FollowerLog) {
    super({
      what: "sessions",
      stream: "SESSIONS",
      filter: "sessions.session.>",
      types: SESSION_TYPES,
      state: { seq: 0, sessions: emptySessions() },
      apply: (state, env, seq) => {
        evolve(state.sessions, env as unknown as SessionsEvent);
        state.seq = seq;
      },
      log,
    });
  }
}

const MINUTE = 60_000;

/** The occurrences of event sessions at `cameraId` whose window [start - early, end] holds `at` (pure). */
export function eventsAt(sessions: Iterable<Schedulable>, cameraId: string, at: number, earlyMinutes: number): EventAtCamera[] {
  const early = earlyMinutes * MINUTE;
  const out: EventAtCamera[] = [];
  for (const s of sessions) {
    if (s.kind !== "event" || !s.cameras.includes(cameraId)) continue;
    // [at - 1, at + early + 1): an occurrence ending exactly at `at` still holds it
    for (const o of occurrencesBetween(s, at - 1, at + early + 1)) {
      if (at >= o.startAt - early && at <= o.endAt) out.push({ occurrenceId: o.occurrenceId, endAt: o.endAt });
    }
  }
  return out;
}
