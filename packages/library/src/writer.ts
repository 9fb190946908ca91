import { setTimeout as sleep } from "node:timers/promises";
import type { Bus } from "@persona/bus";
import type { EnvelopeMeta } from "@persona/contracts";
import { type EventDraft, type LibraryCommand, type Rejection, commandPersonId, decide } from "./decide.ts";
import { LIBRARY_EVENT_TYPES, type LibraryEvent, type LibraryState, emptyLibrary, evolve } from "./library.ts";

/**
 * The one module that appends to LIBRARY. `execute` takes the person's lock, reads the person as the stream holds
 * them now, asks `decide` and publishes what it decided. See the README ("One writer").
 */

/** The KV bucket of the per-person write locks (declared in contracts/src/topology.ts). */
export const LIBRARY_LOCK_BUCKET = "library-locks";

export interface WriterLockOptions {
  /** KV bucket of the locks (default `library-locks`, whose TTL frees a lock left by a killed writer). */
  bucket?: string;
  /** How long `execute` waits for a person's lock before failing with `LibraryBusyError` (ms, default 45 s). */
  waitMs?: number;
}

export interface LibraryWriterOptions {
  bus: Bus;
  /**
   * The whole library as the caller already follows it (the recognizer's gallery), for the rules about other people
   * (a photo that is another person's template). The person the command is about is always read fresh from the
   * stream under their lock; without this, other people are not known.
   */
  library?: () => LibraryState;
  lock?: WriterLockOptions;
}

/** Ids and causes of the events of one command: `id` derives an event's id (idempotent redelivery), else random. */
export interface WriteMeta {
  correlationId?: string;
  causationId?: string | null;
  id?: (draft: EventDraft) => string;
}

export interface WrittenEvent {
  env: LibraryEvent;
  seq: number;
  /** The stream already held it (same id within the duplicate window): a redelivered cause. */
  duplicate: boolean;
}

export type WriteOutcome = { events: WrittenEvent[] } | { rejected: Rejection };

export class LibraryBusyError extends Error {
  override name = "LibraryBusyError";
}

type Kv = Awaited<ReturnType<Bus["kv"]>>;

const isHeld = (err: unknown) => /wrong last sequence|key exists|10071|10164/i.test(String((err as Error)?.message ?? err));

export class LibraryWriter {
  private kvp: Promise<Kv> | undefined;
  readonly holder = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly o: LibraryWriterOptions) {}

  /** Decides the command against the person's current state and appends the events, one writer per person. */
  async execute(command: LibraryCommand, meta: WriteMeta = {}): Promise<WriteOutcome> {
    const personId = commandPersonId(command);
    const release = personId === null ? async () => {} : await this.lock(personId);
    try {
      const state = personId === null ? (this.o.library?.() ?? emptyLibrary()) : await this.stateOf(personId);
      const decision = decide(command, state);
      if ("rejected" in decision) return decision;
      const events: WrittenEvent[] = [];
      for (const draft of decision.events) {
        const m: Partial<EnvelopeMeta> = {};
        if (meta.id) m.id = meta.id(draft);
        if (meta.correlationId !== undefined) m.correlationId = meta.correlationId;
        if (meta.causationId !== undefined) m.causationId = meta.causationId;
        const env = this.o.bus.envelope(draft.type, draft.data as never, m) as LibraryEvent;
        const ack = await this.o.bus.publish(env);
        events.push({ env, seq: ack.seq, duplicate: ack.duplicate });
      }
      return { events };
    } finally {
      await release();
    }
  }

  /**
   * The library as `decide` sees it for one person: that person folded from their subjects on LIBRARY as the stream
   * holds them now (under their lock), the others as the caller follows them.
   */
  async stateOf(personId: string): Promise<LibraryState> {
    const fresh = emptyLibrary();
    await this.o.bus.replay({ stream: "LIBRARY", filter: `library.${personId}.>` }, (m) => {
      const env = m.env;
      if (env !== null && (LIBRARY_EVENT_TYPES as readonly string[]).includes(env.type))
        evolve(fresh, env as LibraryEvent, m.seq);
    });
    const followed = this.o.library?.();
    if (!followed) return fresh;
    const people = new Map(followed.people);
    const byImportKey = new Map(followed.byImportKey);
    const old = people.get(personId);
    if (old?.importKey && byImportKey.get(old.importKey) === personId) byImportKey.delete(old.importKey);
    people.delete(personId);
    const now = fresh.people.get(personId);
    if (now) {
      people.set(personId, now);
      if (now.importKey) byImportKey.set(now.importKey, personId);
    }
    return { people, byImportKey, seq: Math.max(followed.seq, fresh.seq) };
  }

  private kv(): Promise<Kv> {
    this.kvp ??= this.o.bus.kv(this.o.lock?.bucket ?? LIBRARY_LOCK_BUCKET);
    this.kvp.catch(() => {
      this.kvp = undefined;
    });
    return this.kvp;
  }

  /**
   * Takes the person's lock: creates `<personId>` in the lock bucket, which fails while another writer holds it, and
   * retries with backoff until `waitMs`. Returns the release (a delete of our revision).
   */
  private async lock(personId: string): Promise<() => Promise<void>> {
    const kv = await this.kv();
    const deadline = Date.now() + (this.o.lock?.waitMs ?? 45_000);
    const value = JSON.stringify({ holder: this.holder, at: new Date().toISOString() });
    for (let attempt = 0; ; attempt++) {
      try {
        const revision = await kv.create(personId, value);
        return async () => {
          await kv.delete(personId, { previousSeq: revision }).catch(() => {});
        };
      } catch (err) {
        if (!isHeld(err)) throw err;
      }
      if (Date.now() >= deadline) {
        throw new LibraryBusyError(`person ${personId} is being changed by another writer (lock still held)`);
      }
      const backoff = Math.min(10 * 2 ** Math.min(attempt, 6), 500);
      await sleep(Math.min(backoff / 2 + Math.random() * backoff, Math.max(deadline - Date.now(), 1)));
    }
  }
}
