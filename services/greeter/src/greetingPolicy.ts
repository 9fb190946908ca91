/**
 * When to greet, pure. A person is greeted once per visit: on the first confirmed recognition, not again while any
 * of their tracks is still in view, and never within the cooldown of the last greeting (the paper: about 45 s).
 * At an event (a session of kind event whose window holds the recognition, at one of its cameras) a person is
 * greeted once per occurrence of it: after that greeting, not again until the event is over, whatever the cooldown.
 * Time comes from the caller (an injected clock), so the rules are testable without sleeping.
 */

export interface GreetingPolicyOptions {
  cooldownMs: number;
  /** A track not concluded after this long is considered gone (its TrackConcluded may have been lost). */
  staleTrackMs: number;
}

export interface GreeterState {
  lastGreetedAt: Map<string, number>;
  /** personId -> trackKey -> last seen (ms). */
  inView: Map<string, Map<string, number>>;
  /** occurrenceId -> the event's end (ms) and the people greeted at it. */
  greetedAtEvent: Map<string, { endAt: number; people: Set<string> }>;
}

export function newGreeterState(): GreeterState {
  return { lastGreetedAt: new Map(), inView: new Map(), greetedAtEvent: new Map() };
}

/** An event occurrence whose window holds a recognition at one of its cameras. */
export interface EventAtCamera {
  occurrenceId: string;
  endAt: number;
}

export type GreetDecision =
  | { greet: true }
  | { greet: false; reason: "in-view" | "cooldown" | "not-confirmed" | "greeted-at-event" };

/** Events that ended this long ago are forgotten. */
const EVENT_MEMORY_MS = 6 * 3600_000;

const trackKey = (cameraId: string, trackId: string) => `${cameraId}/${trackId}`;

function pruneStale(s: GreeterState, personId: string, now: number, o: GreetingPolicyOptions): Map<string, number> | undefined {
  const tracks = s.inView.get(personId);
  if (!tracks) return undefined;
  for (const [k, seen] of tracks) if (now - seen > o.staleTrackMs) tracks.delete(k);
  if (tracks.size === 0) s.inView.delete(personId);
  return s.inView.get(personId);
}

/**
 * A recognition arrived: decide and record. `events`: the event occurrences at its camera at its time (none: the
 * visit rules alone). Greeted at every one of them already: not again.
 */
export function onRecognized(
  s: GreeterState,
  r: { personId: string; cameraId: string; trackId: string; decision: "confirmed" | "probable" },
  now: number,
  o: GreetingPolicyOptions,
  events: readonly EventAtCamera[] = [],
): GreetDecision {
  if (r.decision !== "confirmed") return { greet: false, reason: "not-confirmed" };
  const tracks = pruneStale(s, r.personId, now, o);
  const key = trackKey(r.cameraId, r.trackId);
  const alreadyInView = tracks !== undefined && tracks.size > 0;
  const t = tracks ?? new Map<string, number>();
  t.set(key, now);
  s.inView.set(r.personId, t);
  if (alreadyInView) return { greet: false, reason: "in-view" };
  for (const [id, e] of s.greetedAtEvent) if (now - e.endAt > EVENT_MEMORY_MS) s.greetedAtEvent.delete(id);
  if (events.length > 0 && events.every((e) => s.greetedAtEvent.get(e.occurrenceId)?.people.has(r.personId))) {
    return { greet: false, reason: "greeted-at-event" };
  }
  const last = s.lastGreetedAt.get(r.personId);
  if (last !== undefined && now - last < o.cooldownMs) return { greet: false, reason: "cooldown" };
  s.lastGreetedAt.set(r.personId, now);
  for (const e of events) {
    const greeted = s.greetedAtEvent.get(e.occurrenceId) ?? { endAt: e.endAt, people: new Set<string>() };
    greeted.people.add(r.personId);
    s.greetedAtEvent.set(e.occurrenceId, greeted);
  }
  return { greet: true };
}

/** A track ended: the person is no longer in view through it. */
export function onTrackConcluded(s: GreeterState, t: { cameraId: string; trackId: string }): void {
  const key = trackKey(t.cameraId, t.trackId);
  for (const [personId, tracks] of s.inView) {
    if (tracks.delete(key) && tracks.size === 0) s.inView.delete(personId);
  }
}

/**
 * A greeting played before this process started (GreetingPlayed read back at start): the person's cooldown and the
 * event occurrences they were greeted at hold across a restart, so a restarted greeter does not greet them again.
 */
export function rememberGreeting(s: GreeterState, personId: string, at: number, events: readonly EventAtCamera[] = []): void {
  if ((s.lastGreetedAt.get(personId) ?? Number.NEGATIVE_INFINITY) < at) s.lastGreetedAt.set(personId, at);
  for (const e of events) {
    const greeted = s.greetedAtEvent.get(e.occurrenceId) ?? { endAt: e.endAt, people: new Set<string>() };
    greeted.people.add(personId);
    s.greetedAtEvent.set(e.occurrenceId, greeted);
  }
}

/** How far back a starting greeter reads the greetings it played: an event's memory or the cooldown, the longer. */
export function rememberSinceMs(o: GreetingPolicyOptions): number {
  return Math.max(EVENT_MEMORY_MS, o.cooldownMs);
}
