/**
 * Health conditions of the bus, decided from successive observations. Pure: the monitor feeds it consumer infos and
 * dead-letter positions and publishes what it says (one alert per condition until it clears, then a resolution).
 *
 * - backlog of a durable consumer: more undelivered messages than the threshold, and not shrinking, at
 *   `consecutive` checks in a row (a consumer draining a backlog is working; one whose backlog stays or grows is
 *   stuck);
 * - redeliveries of a durable consumer: more redelivered messages outstanding than the threshold, `consecutive`
 *   checks in a row;
 * - dead letters on a subject (`deadletter.<stream>.<consumer>`): its newest dead letter is newer than at the
 *   previous check; raised at once.
 * A raised condition clears after `consecutive` checks in a row without it.
 */

export interface HealthOptions {
  pendingThreshold: number;
  redeliveredThreshold: number;
  consecutive: number;
}

export interface ConsumerSample {
  stream: string;
  durable: string;
  numPending: number;
  numRedelivered: number;
  numAckPending: number;
}

export interface DeadLetterSample {
  subject: string;
  lastSeq: number;
  count: number;
}

export type ConditionKind = "consumer-backlog" | "consumer-redeliveries" | "dead-letters";

export interface ConditionState {
  kind: ConditionKind;
  /** Consecutive checks with the condition. */
  breaches: number;
  /** Consecutive checks without it (while raised). */
  clears: number;
  /** The last value seen (pending, redelivered, or the newest dead letter's sequence). */
  last: number;
  /** The alert raised for it, while it holds. */
  alertId: string | null;
}

export interface HealthState {
  conditions: Record<string, ConditionState>;
  /** Whether dead-letter positions were ever recorded (the first check only records them). */
  deadLettersSeen: boolean;
}

export function newHealthState(): HealthState {
  return { conditions: {}, deadLettersSeen: false };
}

export interface Raise {
  key: string;
  kind: ConditionKind;
  message: string;
}

export interface Resolve {
  key: string;
  alertId: string;
  message: string;
}

export interface Decisions {
  raise: Raise[];
  resolve: Resolve[];
}

function cond(state: HealthState, key: string, kind: ConditionKind, initial: number): ConditionState {
  let c = state.conditions[key];
  if (c === undefined) {
    c = { kind, breaches: 0, clears: 0, last: initial, alertId: null };
    state.conditions[key] = c;
  }
  return c;
}

/**
 * Applies one round of observations. The caller gives each raised condition its alert id with `markRaised` after
 * publishing. Conditions not observed this round (a consumer deleted) count as clear.
 */
export function evaluateHealth(
  state: HealthState,
  consumers: readonly ConsumerSample[],
  deadLetters: readonly DeadLetterSample[],
  o: HealthOptions,
): Decisions {
  const out: Decisions = { raise: [], resolve: [] };
  const seen = new Set<string>();
  const step = (key: string, c: ConditionState, breach: boolean, immediate: boolean, message: string, clearMessage: string) => {
    seen.add(key);
    if (breach) {
      c.breaches++;
      c.clears = 0;
      if (c.alertId === null && (immediate || c.breaches >= o.consecutive)) out.raise.push({ key, kind: c.kind, message });
    } else {
      c.breaches = 0;
      if (c.alertId !== null) {
        c.clears++;
        if (c.clears >= o.consecutive) {
          out.resolve.push({ key, alertId: c.alertId, message: clearMessage });
          c.alertId = null;
          c.clears = 0;
        }
      }
    }
  };

  for (const s of consumers) {
    const name = `${s.stream}/${s.durable}`;
    const bKey = `backlog:${name}`;
    const b = cond(state, bKey, "consumer-backlog", s.numPending);
    const stuck = s.numPending > o.pendingThreshold && s.numPending >= b.last;
    step(
      bKey,
      b,
      stuck,
      false,
      `consumer ${name} is not keeping up: ${s.numPending} messages waiting (threshold ${o.pendingThreshold}), not shrinking over ${o.consecutive} checks`,
      `consumer ${name} is keeping up again: ${s.numPending} messages waiting`,
    );
    b.last = s.numPending;

    const rKey = `redeliveries:${name}`;
    const r = cond(state, rKey, "consumer-redeliveries", s.numRedelivered);
    step(
      rKey,
      r,
      s.numRedelivered > o.redeliveredThreshold,
      false,
      `consumer ${name} keeps failing: ${s.numRedelivered} messages redelivered (threshold ${o.redeliveredThreshold}) over ${o.consecutive} checks`,
      `consumer ${name} has ${s.numRedelivered} redelivered messages: back under the threshold`,
    );
    r.last = s.numRedelivered;
  }

  for (const dl of deadLetters) {
    const key = `dead-letters:${dl.subject}`;
    const fresh = state.conditions[key] === undefined;
    const c = cond(state, key, "dead-letters", state.deadLettersSeen ? 0 : dl.lastSeq);
    const grew = !(fresh && !state.deadLettersSeen) && dl.lastSeq > c.last;
    const [, stream, consumer] = dl.subject.split(".");
    step(
      key,
      c,
      grew,
      true,
      `messages of ${stream}/${consumer} were dead-lettered (${dl.count} on ${dl.subject}): see persona status or the DEADLETTER stream`,
      `no new dead letters of ${stream}/${consumer} for ${o.consecutive} checks`,
    );
    c.last = Math.max(c.last, dl.lastSeq);
  }
  state.deadLettersSeen = true;

  for (const [key, c] of Object.entries(state.conditions)) {
    if (seen.has(key)) continue;
    c.breaches = 0;
    if (c.alertId === null) {
      delete state.conditions[key];
      continue;
    }
    c.clears++;
    if (c.clears >= o.consecutive) {
      out.resolve.push({ key, alertId: c.alertId, message: `${key} no longer observed` });
      delete state.conditions[key];
    }
  }
  return out;
}

export function markRaised(state: HealthState, key: string, alertId: string): void {
  const c = state.conditions[key];
  if (c) c.alertId = alertId;
}
