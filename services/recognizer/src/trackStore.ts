import type { KV } from "@nats-io/kv";
import { isWrongRevision } from "@persona/bus";
import { z } from "zod";
import { type TrackVoteState, newTrackState } from "@persona/recognition";

/** Thrown when the compare-and-set loop keeps losing (heavy contention on one track); the message is retried. */
export class TrackContentionError extends Error {
  override name = "TrackContentionError";
}

const Outcome = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("recognized"),
    personId: z.string(),
    name: z.string(),
    similarity: z.number(),
    margin: z.number(),
    decision: z.enum(["confirmed", "probable"]),
    agreeing: z.number(),
    total: z.number(),
  }),
  z.object({ kind: z.literal("unknown"), bestSimilarity: z.number(), bestPersonId: z.string().nullable() }),
]);

const StateSchema = z.object({
  cameraId: z.string(),
  trackId: z.string(),
  shots: z.record(z.string(), Outcome),
  processed: z.number(),
  tally: z.record(z.string(), z.object({ votes: z.number(), bestSimilarity: z.number(), name: z.string() })),
  unknownVotes: z.number(),
  bestSimilarity: z.number(),
  ended: z
    .object({ startedAt: z.string(), endedAt: z.string(), frames: z.number(), shots: z.number(), bestQuality: z.number() })
    .nullable(),
  concluded: z.boolean(),
  seen: z.object({ first: z.string(), last: z.string(), bestQuality: z.number() }).optional(),
  embeddingSum: z.array(z.number()).optional(),
  fusedShots: z.number().optional(),
  fused: z.object({ personId: z.string(), name: z.string(), similarity: z.number(), margin: z.number() }).nullable().optional(),
});

/**
 * Track vote states in a KV bucket, changed only by compare-and-set, so any recognizer replica may handle any
 * shot of any track.
 */
export class TrackStore {
  /** Keys of tracks already concluded (they never reopen): skipped without a read on later scans. */
  readonly #done = new Set<string>();

  constructor(
    private readonly kv: KV,
    private readonly maxAttempts = 50,
  ) {}

  /** The tracks not yet concluded, read one by one (a snapshot: a track may change right after it is read). */
  async *open(): AsyncGenerator<StoredTrack> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys()) keys.push(k);
    const present = new Set(keys);
    for (const k of this.#done) if (!present.has(k)) this.#done.delete(k);
    for (const key of keys) {
      if (this.#done.has(key)) continue;
      const entry = await this.kv.get(key);
      if (entry?.operation !== "PUT" || entry.length === 0) continue;
      const parsed = StateSchema.safeParse(entry.json());
      if (!parsed.success) continue;
      if (parsed.data.concluded) {
        this.#done.add(key);
        continue;
      }
      yield { state: parsed.data, writtenAt: entry.created };
    }
  }

  static key(cameraId: string, trackId: string): string {
    return `${cameraId}.${trackId}`;
  }

  /** Reads the state, applies `change` (which may return a result), writes it back only if nobody wrote in between. */
  async modify<R>(
    cameraId: string,
    trackId: string,
    change: (s: TrackVoteState) => R,
  ): Promise<{ state: TrackVoteState; result: R }> {
    const key = TrackStore.key(cameraId, trackId);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const entry = await this.kv.get(key);
      const exists = entry !== null && entry.operation === "PUT" && entry.length > 0;
      const state: TrackVoteState = exists ? StateSchema.parse(entry.json()) : newTrackState(cameraId, trackId);
      const result = change(state);
      const data = JSON.stringify(state);
      try {
        if (exists) await this.kv.update(key, data, entry.revision);
        else if (entry) await this.kv.update(key, data, entry.revision);
        else await this.kv.create(key, data);
        return { state, result };
      } catch (err) {
        if (!isWrongRevision(err)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
    throw new TrackContentionError(`track ${key}: compare-and-set lost ${this.maxAttempts} times`);
  }
}

/** One track's state as stored, with when it was last written. */
export interface StoredTrack {
  state: TrackVoteState;
  writtenAt: Date;
}
