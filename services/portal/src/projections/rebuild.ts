import { setTimeout as sleep } from "node:timers/promises";
import type { Bus } from "@persona/bus";
import type { Logger } from "@persona/runtime";
import type { DocumentStore } from "@persona/store";
import { openReadModels } from "./readModels.ts";
import { ALL_PROJECTIONS, PROJECTION_GROUPS, startProjections } from "./runner.ts";

/**
 * Rebuilding the projections from the streams:
 *
 * 1. delete the projections' durable consumers: portal replicas stop receiving events (their pull loops wait for
 *    the consumer to come back and take events again about 30 s after it does, when the client's heartbeat check
 *    finds it; nothing needs restarting);
 * 2. wait `settleMs` for an event a replica may still be applying (at most one per durable: max ack pending 1);
 * 3. reset every projection's checkpoint and applied-event records and clear its collections;
 * 4. create the durables again from the start of their streams;
 * 5. replay: this process joins the shared durables with the portal's own projection code (running portal replicas
 *    take part too; each event is still applied once) until both durables have nothing pending.
 *
 * While it runs, the portal's views are incomplete; they fill up in stream order.
 */

export interface RebuildOptions {
  bus: Bus;
  store: DocumentStore;
  log: Logger;
  timeZone: string;
  /** Wait after stopping deliveries, ms. Default 2000. */
  settleMs?: number;
  /** Give up waiting for the replay after this long, ms. Default 600000. */
  timeoutMs?: number;
  onProgress?: (p: RebuildProgress) => void;
}

export interface RebuildProgress {
  consumer: string;
  stream: string;
  /** Stream sequence the durable has acknowledged up to. */
  ackedSeq: number;
  lastSeq: number;
  pending: number;
}

export interface RebuildReport {
  version: 1;
  projections: { name: string; checkpoint: number; documents: Record<string, number> }[];
  streams: { stream: string; consumer: string; messages: number; firstSeq: number; lastSeq: number }[];
  durationMs: number;
}

export class RebuildError extends Error {
  override name = "RebuildError";
}

const isNotFound = (err: unknown) =>
  typeof err === "object" && err !== null && "status" in err && (err as { status: unknown }).status === 404;

export async function rebuildProjections(o: RebuildOptions): Promise<RebuildReport> {
  const began = Date.now();
  // declare the read models (with their indexes) before clearing them
  await openReadModels(o.store);
  for (const g of PROJECTION_GROUPS) {
    await o.bus.jsm.consumers.delete(g.consumer.stream, g.consumer.durable).catch((err: unknown) => {
      if (!isNotFound(err))
        throw new RebuildError(`cannot delete consumer ${g.consumer.durable}: ${(err as Error).message}`, { cause: err });
    });
  }
  await sleep(o.settleMs ?? 2000);
  for (const p of ALL_PROJECTIONS) {
    await o.store.resetProjection(p.name);
    for (const c of p.collections) await (await o.store.collection({ name: c })).deleteMany({});
  }
  for (const g of PROJECTION_GROUPS) await o.bus.ensureConsumer(g.consumer);

  const running = await startProjections({ bus: o.bus, store: o.store, log: o.log, timeZone: o.timeZone });
  try {
    const deadline = Date.now() + (o.timeoutMs ?? 600_000);
    for (;;) {
      let caughtUp = true;
      for (const g of PROJECTION_GROUPS) {
        const info = await o.bus.jsm.consumers.info(g.consumer.stream, g.consumer.durable);
        const stream = await o.bus.jsm.streams.info(g.consumer.stream);
        o.onProgress?.({
          consumer: g.consumer.durable,
          stream: g.consumer.stream,
          ackedSeq: info.ack_floor.stream_seq,
          lastSeq: stream.state.last_seq,
          pending: info.num_pending + info.num_ack_pending,
        });
        if (info.num_pending > 0 || info.num_ack_pending > 0) caughtUp = false;
      }
      if (caughtUp) break;
      if (Date.now() > deadline) throw new RebuildError(`the replay did not finish within ${(o.timeoutMs ?? 600_000) / 1000} s`);
      await sleep(200);
    }
  } finally {
    await running.stop();
  }

  const projections: RebuildReport["projections"] = [];
  for (const p of ALL_PROJECTIONS) {
    const documents: Record<string, number> = {};
    for (const c of p.collections) documents[c] = await (await o.store.collection({ name: c })).count();
    projections.push({ name: p.name, checkpoint: await o.store.checkpoint(p.name), documents });
  }
  const streams: RebuildReport["streams"] = [];
  for (const g of PROJECTION_GROUPS) {
    const s = await o.bus.jsm.streams.info(g.consumer.stream);
    streams.push({
      stream: g.consumer.stream,
      consumer: g.consumer.durable,
      messages: s.state.messages,
      firstSeq: s.state.first_seq,
      lastSeq: s.state.last_seq,
    });
  }
  return { version: 1, projections, streams, durationMs: Date.now() - began };
}
