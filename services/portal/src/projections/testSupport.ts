/**
 * The projections' test bench: for every test a fresh SQLite store in memory with its read models; events applied one
 * by one, each with the next stream sequence; and the check that applying an event twice changes nothing.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach } from "node:test";
import type { EnvelopeOf, MessageType } from "@persona/contracts";
import { type DocumentStore, openStore } from "@persona/store";
import { type AnyProjection, applyProjection, projectionOps } from "./projection.ts";
import { type ReadModels, openReadModels } from "./readModels.ts";

export interface ProjectionBench {
  /** This test's store and read models (set before each test). */
  store: DocumentStore;
  models: ReadModels;
  /** The stream sequence of the last event applied (0 before the first). */
  seq: number;
  /** Given: events applied in order, each with the next stream sequence. */
  given(projection: AnyProjection, events: EnvelopeOf<MessageType>[], timeZone?: string): Promise<void>;
  /** Every document of the projection's collections, by collection, sorted by id. */
  snapshot(projection: AnyProjection): Promise<Record<string, unknown[]>>;
  /**
   * When: the event is applied; then applied twice, same result: (1) a redelivery of the same event is skipped by
   * `applyOnce`, (2) the handler's writes computed and applied once more (as if the bookkeeping were lost) change
   * nothing either. Returns the state after the first application.
   */
  whenAppliedTwice(projection: AnyProjection, e: EnvelopeOf<MessageType>, timeZone?: string): Promise<Record<string, unknown[]>>;
}

/** A bench whose store is opened before and closed after each test of the file (registers the hooks). */
export function projectionBench(): ProjectionBench {
  const bench = {
    seq: 0,
    async given(projection: AnyProjection, events: EnvelopeOf<MessageType>[], timeZone = "UTC"): Promise<void> {
      for (const e of events) {
        await applyProjection(bench.store, projection, e, { seq: ++bench.seq, models: bench.models, timeZone });
      }
    },
    async snapshot(projection: AnyProjection): Promise<Record<string, unknown[]>> {
      const out: Record<string, unknown[]> = {};
      for (const c of projection.collections) {
        out[c] = await (await bench.store.collection({ name: c })).find({}, { sort: { id: 1 } });
      }
      return out;
    },
    async whenAppliedTwice(projection: AnyProjection, e: EnvelopeOf<MessageType>, timeZone = "UTC") {
      const ctx = { seq: ++bench.seq, models: bench.models, timeZone };
      assert.equal(await applyProjection(bench.store, projection, e, ctx), "applied");
      const once = await bench.snapshot(projection);
      assert.equal(await applyProjection(bench.store, projection, e, ctx), "skipped");
      assert.deepEqual(await bench.snapshot(projection), once, "a redelivered event changes nothing");
      await bench.store.applyOnce("test-reapply", { eventId: randomUUID() }, await projectionOps(projection, e, ctx));
      assert.deepEqual(await bench.snapshot(projection), once, "the handler's writes applied twice give the same state");
      return once;
    },
  } as ProjectionBench;
  beforeEach(async () => {
    bench.store = await openStore({ url: "sqlite::memory:" });
    bench.models = await openReadModels(bench.store);
    bench.seq = 0;
  });
  afterEach(async () => {
    await bench.store.close();
  });
  return bench;
}
