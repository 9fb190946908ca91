import { headers as natsHeaders } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import {
  type AnyEnvelope,
  type ConsumerDecl,
  type EnvelopeMeta,
  type EnvelopeOf,
  type MessageType,
  Messages,
  makeEnvelope,
  subjectOf,
} from "@persona/contracts";
import type { Logger, ServiceMetrics } from "@persona/runtime";
import type { z } from "zod";
import { connectNats } from "./connection.ts";
import { type ConsumerLoop, type ConsumerLoopOptions, startConsumerLoop } from "./consumer.ts";
import { PublishError, WrongLastSequenceError } from "./errors.ts";
import {
  type Delivery,
  type Feed,
  type FollowOptions,
  type ReplayOptions,
  type ReplayResult,
  first,
  follow,
  replay,
} from "./follow.ts";
import { applyTopology, ensureConsumer, topologyPresent } from "./topology.ts";

export interface BusOptions {
  url: string;
  /** Service name: the connection name and the envelopes' `source`. */
  service: string;
  log: Logger;
  metrics: ServiceMetrics;
  /** Stream replicas when this service applies the topology. */
  replicas?: number;
  /** How long a publish keeps retrying through a disconnection (ms). */
  publishRetryMs?: number;
  /** How long the first connection is retried before failing (ms). Default 30000 (a service may start before NATS). */
  connectTimeoutMs?: number;
}

export interface PublishOptions {
  /**
   * Optimistic concurrency: the sequence of the last message on the envelope's subject this write was decided on
   * (0: none). The server refuses the message when the subject has moved on: `WrongLastSequenceError`, not retried.
   */
  expectLastSubjectSeq?: number;
}

const isWrongLastSequence = (err: unknown) =>
  /wrong last sequence|10071/i.test(String((err as { message?: unknown })?.message ?? err)) ||
  (err as { api_error?: { err_code?: number } })?.api_error?.err_code === 10071;

export interface PublishResult {
  seq: number;
  duplicate: boolean;
  stream: string;
}

/** How long readiness waits for NATS to answer. */
const READINESS_NATS_TIMEOUT_MS = 1000;

/**
 * The event backbone of a service: one NATS connection, typed publishing with server-side dedupe,
 * consumer loops, KV and Object Store access, and a graceful drain.
 */
export class Bus {
  readonly js: JetStreamClient;
  private readonly loops: ConsumerLoop[] = [];
  private topologyReady = false;
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    private readonly options: BusOptions,
  ) {
    this.js = jetstream(nc);
  }

  static async connect(options: BusOptions): Promise<Bus> {
    const nc = await connectNats({
      url: options.url,
      name: options.service,
      log: options.log,
      initialTimeoutMs: options.connectTimeoutMs,
    });
    const jsm = await jetstreamManager(nc);
    return new Bus(nc, jsm, options);
  }

  get service(): string {
    return this.options.service;
  }

  get log(): Logger {
    return this.options.log;
  }

  async applyTopology(): Promise<void> {
    await applyTopology(this.nc, this.jsm, { replicas: this.options.replicas ?? 1 }, this.options.log);
    this.topologyReady = true;
  }

  async ensureConsumer(decl: ConsumerDecl): Promise<void> {
    await ensureConsumer(this.jsm, decl, this.options.log);
  }

  /** Build an envelope of this service (validated) without publishing it. */
  envelope<T extends MessageType>(type: T, data: z.input<Messages[T]["data"]>, meta: Partial<EnvelopeMeta> = {}): EnvelopeOf<T> {
    return makeEnvelope(type, data, { source: this.options.service, ...meta });
  }

  /**
   * Publishes an envelope with `msgID = envelope.id` (the server drops duplicates within the stream's window),
   * retrying through short disconnections: a retry of the same envelope is safe.
   */
  async publish(env: AnyEnvelope, options: PublishOptions = {}): Promise<PublishResult> {
    const subject = subjectOf(env as EnvelopeOf<MessageType>);
    const payload = new TextEncoder().encode(JSON.stringify(env));
    const h = natsHeaders();
    h.set("Persona-Type", env.type);
    h.set("Persona-Correlation-Id", env.correlationId);
    const deadline = Date.now() + (this.options.publishRetryMs ?? 30_000);
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        const expect =
          options.expectLastSubjectSeq === undefined ? {} : { expect: { lastSubjectSequence: options.expectLastSubjectSeq } };
        const ack = await this.js.publish(subject, payload, { msgID: env.id, headers: h, timeout: 5000, ...expect });
        this.options.metrics.published.inc({ type: env.type });
        return { seq: ack.seq, duplicate: ack.duplicate, stream: ack.stream };
      } catch (err) {
        if (isWrongLastSequence(err)) {
          throw new WrongLastSequenceError(
            `${subject} moved past sequence ${options.expectLastSubjectSeq}: another writer appended first`,
            { cause: err },
          );
        }
        if (this.closed || Date.now() > deadline) {
          throw new PublishError(`cannot publish ${env.type} ${env.id} to ${subject} after ${attempt} attempts`, { cause: err });
        }
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.log.warn({ type: env.type, subject, attempt, err: (err as Error).message }, "publish failed, retrying");
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** Math.min(attempt, 5), 2000)));
      }
    }
  }

  /** Starts a consumer loop (the durable consumer is created or updated first). */
  async consume(options: Omit<ConsumerLoopOptions, "js" | "log" | "metrics" | "publishDeadLetter">): Promise<ConsumerLoop> {
    await this.ensureConsumer(options.consumer);
    const loop = await startConsumerLoop({
      ...options,
      js: this.js,
      log: this.options.log.child({ consumer: options.consumer.durable }),
      metrics: this.options.metrics,
      publishDeadLetter: (env) => this.publish(env).then(() => undefined),
      source: this.options.service,
    });
    // a loop that ended by itself (the consumer was deleted, NATS went away for good) stays in readiness, failing it,
    // until a loop on the same consumer replaces it; a loop stopped on purpose is no longer this bus's concern
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const old = this.loops[i] as ConsumerLoop;
      if (old.name === loop.name && !old.running) this.loops.splice(i, 1);
    }
    const loops = this.loops;
    const tracked: ConsumerLoop = {
      get name() {
        return loop.name;
      },
      get running() {
        return loop.running;
      },
      get inFlight() {
        return loop.inFlight;
      },
      done: loop.done,
      async stop() {
        await loop.stop();
        const i = loops.indexOf(tracked);
        if (i >= 0) loops.splice(i, 1);
      },
    };
    this.loops.push(tracked);
    return tracked;
  }

  /**
   * The latest envelope of one type on one subject (a direct get, no consumer), or null when there is none. Throws
   * when NATS does not answer, like any request.
   */
  async last<T extends MessageType>(type: T, subject: string): Promise<EnvelopeOf<T> | null> {
    const stream = Messages[type].stream;
    const m = await this.jsm.streams.getMessage(stream, { last_by_subj: subject }).catch((err: unknown) => {
      if (/no message found|10037/i.test(String((err as Error).message ?? err))) return null;
      throw err;
    });
    if (!m) return null;
    const parsed = Messages[type].envelope.safeParse(m.json());
    return parsed.success ? (parsed.data as EnvelopeOf<T>) : null;
  }

  /** Follows a stream live with an ordered consumer (no durable): see `follow.ts`. Close the feed when done. */
  follow(options: FollowOptions): Promise<Feed> {
    return follow(this.js, options);
  }

  /** Visits every message the stream holds on the filter (as of the call), in order: see `follow.ts`. */
  replay(options: ReplayOptions, visit: (d: Delivery) => void | Promise<void>): Promise<ReplayResult> {
    return replay(this.js, this.jsm, options, visit);
  }

  /** The first message at or after the start point on the filter, or null when none comes within `waitMs`. */
  first(options: FollowOptions, waitMs?: number): Promise<Delivery | null> {
    return first(this.js, options, waitMs);
  }

  kv(bucket: string): Promise<KV> {
    return new Kvm(this.nc).open(bucket);
  }

  objectStore(bucket: string): Promise<ObjectStore> {
    return new Objm(this.nc).open(bucket);
  }

  /** Readiness: connected, topology present, every consumer loop running. */
  async readiness(): Promise<{ ok: boolean; detail?: string }> {
    if (this.nc.isClosed()) return { ok: false, detail: "NATS connection closed" };
    if (this.nc.isDraining()) return { ok: false, detail: "draining" };
    try {
      // answer within a second even when NATS is away (a request would wait 5 s, past a prober's patience:
      // `persona status` printed "DOWN (timeout)" for a service that is up and only not ready)
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READINESS_NATS_TIMEOUT_MS} ms`)),
          READINESS_NATS_TIMEOUT_MS,
        );
      });
      const t = await Promise.race([topologyPresent(this.jsm), late]).finally(() => clearTimeout(timer));
      if (!t.ok) return { ok: false, detail: `missing: ${t.missing.join(", ")}` };
    } catch (err) {
      return { ok: false, detail: `NATS not answering: ${(err as Error).message}` };
    }
    const stopped = this.loops.filter((l) => !l.running);
    if (stopped.length > 0) return { ok: false, detail: `consumers stopped: ${stopped.map((l) => l.name).join(", ")}` };
    return { ok: true, detail: `${this.loops.length} consumer(s) running${this.topologyReady ? ", topology applied" : ""}` };
  }

  /** Stop pulling, finish in-flight work, drain the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const l of [...this.loops]) await l.stop();
    this.closed = true;
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
