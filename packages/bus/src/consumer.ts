import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import {
  type AnyEnvelope,
  AnyEnvelopeSchema,
  type ConsumerDecl,
  type EnvelopeOf,
  type MessageType,
  Messages,
  makeEnvelope,
  uuidFrom,
} from "@persona/contracts";
import type { Logger, ServiceMetrics } from "@persona/runtime";
import type { Outcome } from "./outcome.ts";

export interface HandlerContext {
  stream: string;
  streamSeq: number;
  deliveryCount: number;
  subject: string;
  /** Tell the server we are still working (resets the ack timer). Also called automatically during long work. */
  working(): void;
  log: Logger;
}

export type Handler<T extends MessageType> = (env: EnvelopeOf<T>, ctx: HandlerContext) => Promise<Outcome>;

/** One handler per message type this consumer subscribes to; other valid types are acked as skipped. */
export type HandlerMap<T extends MessageType = MessageType> = { [K in T]: Handler<K> };

export interface ConsumerLoopOptions {
  js: JetStreamClient;
  consumer: ConsumerDecl;
  handlers: Partial<HandlerMap>;
  /** Messages handled at the same time by this worker. */
  concurrency?: number;
  log: Logger;
  metrics: ServiceMetrics;
  publishDeadLetter: (env: EnvelopeOf<"MessageDeadLettered">) => Promise<void>;
  source?: string;
}

export interface ConsumerLoop {
  readonly name: string;
  readonly running: boolean;
  readonly inFlight: number;
  stop(): Promise<void>;
  /** Resolves when the loop ends (after stop, or if it fails). */
  done: Promise<void>;
}

const MAX_DEAD_LETTER_PAYLOAD = 256 * 1024;

/** Exponential backoff for a thrown handler error: 0.5 s, 1 s, 2 s, ... capped at 30 s. */
const backoffMs = (deliveries: number) => Math.min(500 * 2 ** Math.max(0, deliveries - 1), 30_000);

export async function startConsumerLoop(o: ConsumerLoopOptions): Promise<ConsumerLoop> {
  const name = `${o.consumer.stream}/${o.consumer.durable}`;
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const consumer = await o.js.consumers.get(o.consumer.stream, o.consumer.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.max(concurrency * 2, 8) });
  const labels = { consumer: o.consumer.durable };
  let running = true;
  let inFlight = 0;
  const slotWaiters: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];

  const release = () => {
    inFlight--;
    o.metrics.inFlight.set(labels, inFlight);
    slotWaiters.shift()?.();
    if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
  };

  const done = (async () => {
    try {
      for await (const m of messages) {
        if (!running) {
          // pulled after stop was asked: give it back at once
          m.nak();
          continue;
        }
        if (inFlight >= concurrency) await new Promise<void>((r) => slotWaiters.push(r));
        inFlight++;
        o.metrics.inFlight.set(labels, inFlight);
        void handleMessage(o, labels, m).finally(release);
      }
    } catch (err) {
      o.log.error({ err }, "consumer loop failed");
    } finally {
      running = false;
    }
  })();

  o.log.info({ consumer: name, concurrency }, "consumer loop started");

  return {
    name,
    get running() {
      return running;
    },
    get inFlight() {
      return inFlight;
    },
    done,
    async stop() {
      if (!running && inFlight === 0) return;
      running = false;
      // stop pulling; messages already buffered are nak'ed above
      await messages.close().catch(() => undefined);
      if (inFlight > 0) await new Promise<void>((r) => idleWaiters.push(r));
      await done;
      o.log.info({ consumer: name }, "consumer loop stopped");
    },
  };
}

type Labels = { consumer: string };

/** Parses, dispatches and settles one message, keeping it alive with the server while its handler works. */
async function handleMessage(o: ConsumerLoopOptions, labels: Labels, m: JsMsg): Promise<void> {
  if (m.info.deliveryCount > 1) o.metrics.redelivered.inc(labels);
  let type = "unparsed";
  const started = process.hrtime.bigint();
  const keepAlive = setInterval(() => m.working(), Math.max(1000, Math.floor(o.consumer.ackWaitMs / 3)));
  try {
    const parsed = parseEnvelope(m);
    type = parsed.type;
    const outcome = parsed.env === undefined ? parsed.poison : await dispatch(o, m, parsed.env);
    await settle(o, labels, m, type, outcome);
  } catch (err) {
    // settling failed (e.g. the dead-letter publish could not be made): leave the message unacked, it comes back
    o.log.error({ err, seq: m.seq }, "could not settle message; it will be redelivered");
  } finally {
    clearInterval(keepAlive);
    o.metrics.handlerSeconds.observe({ ...labels, type }, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** The message's envelope, or why it is poison; `type` is the metrics label ("unparsed", "invalid" or a type). */
function parseEnvelope(
  m: JsMsg,
): { type: string; env: AnyEnvelope; poison?: undefined } | { type: string; env?: undefined; poison: Outcome } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(m.data));
  } catch (err) {
    return { type: "unparsed", poison: { kind: "poison", reason: `not JSON: ${(err as Error).message}` } };
  }
  const parsed = AnyEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const t = (raw as { type?: unknown } | null)?.type;
    const type = typeof t === "string" && t in Messages ? t : "invalid";
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".")}: ${i.message}`)
      .join("; ");
    return { type, poison: { kind: "poison", reason: `schema: ${issues}` } };
  }
  return { type: parsed.data.type, env: parsed.data };
}

/** The outcome of the envelope's handler: skipped without one, a retry with backoff if it throws. */
async function dispatch(o: ConsumerLoopOptions, m: JsMsg, env: AnyEnvelope): Promise<Outcome> {
  const type = env.type;
  const handler = o.handlers[env.type] as Handler<MessageType> | undefined;
  if (!handler) return { kind: "skipped", reason: "no handler for this type" };
  const ctx: HandlerContext = {
    stream: o.consumer.stream,
    streamSeq: m.seq,
    deliveryCount: m.info.deliveryCount,
    subject: m.subject,
    working: () => m.working(),
    log: o.log.child({ correlationId: env.correlationId, eventId: env.id, type }),
  };
  try {
    return await handler(env as EnvelopeOf<MessageType>, ctx);
  } catch (err) {
    ctx.log.warn({ err, deliveries: m.info.deliveryCount }, "handler threw; will retry");
    return { kind: "retry", reason: `handler threw: ${(err as Error).message}`, delayMs: backoffMs(m.info.deliveryCount) };
  }
}

/** Acks, naks or dead-letters the message as its outcome says, and counts it. */
async function settle(o: ConsumerLoopOptions, labels: Labels, m: JsMsg, type: string, outcome: Outcome): Promise<void> {
  o.metrics.handled.inc({ ...labels, type, outcome: outcome.kind });
  switch (outcome.kind) {
    case "ok":
    case "skipped":
      m.ack();
      return;
    case "retry": {
      o.metrics.failed.inc({ ...labels, type });
      if (m.info.deliveryCount >= o.consumer.maxDeliver) {
        const reason = `exhausted after ${m.info.deliveryCount} deliveries: ${outcome.reason}`;
        o.log.error({ seq: m.seq, type, reason }, "dead-lettering exhausted message");
        await deadLetter(o, m, reason);
        m.term();
      } else {
        m.nak(outcome.delayMs);
      }
      return;
    }
    case "poison":
      o.metrics.failed.inc({ ...labels, type });
      o.log.error({ seq: m.seq, type, reason: outcome.reason }, "dead-lettering poison message");
      await deadLetter(o, m, outcome.reason);
      // the 2.9 server ignores term reasons: the dead-letter record carries it
      m.term();
      return;
    default: {
      const never: never = outcome;
      throw new Error(`unhandled outcome ${JSON.stringify(never)}`);
    }
  }
}

async function deadLetter(o: ConsumerLoopOptions, m: JsMsg, reason: string): Promise<void> {
  const payload = Buffer.from(m.data.subarray(0, MAX_DEAD_LETTER_PAYLOAD));
  const env = makeEnvelope(
    "MessageDeadLettered",
    {
      stream: o.consumer.stream,
      consumer: o.consumer.durable,
      subject: m.subject,
      streamSeq: m.seq,
      deliveries: m.info.deliveryCount,
      reason,
      payloadBase64: payload.toString("base64"),
      truncated: m.data.length > MAX_DEAD_LETTER_PAYLOAD,
    },
    // one dead-letter record per stream message, even if this runs twice
    { source: o.source ?? "consumer", id: deadLetterId(o.consumer.stream, o.consumer.durable, m.seq) },
  );
  await o.publishDeadLetter(env);
}

/** The id of the dead-letter record of one stream message: one record per message, even if written twice. */
export function deadLetterId(stream: string, durable: string, seq: number): string {
  return uuidFrom(`deadletter/${stream}/${durable}/${seq}`);
}
