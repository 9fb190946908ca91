import {
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type OrderedConsumerOptions,
} from "@nats-io/jetstream";
import { type AnyEnvelope, AnyEnvelopeSchema } from "@persona/contracts";

/**
 * Reading a stream without a durable: the one door through which services follow a stream live (`follow`), read what
 * it holds (`replay`) or find one message (`first`). Every message comes as a `Delivery` whose envelope is parsed
 * against the contracts once, on first use; a message that is not a valid envelope comes with `env` null and the
 * reason, so a reader can skip it and still advance its sequence.
 */

/** Where reading starts: every stored message, only new ones, the last per subject, a sequence or an instant. */
export type FollowFrom = "all" | "new" | "last-per-subject" | { seq: number } | { time: Date };

export interface FollowOptions {
  stream: string;
  /** Subject filter(s); default the whole stream. */
  filter?: string | string[];
  from?: FollowFrom;
  /** Messages buffered ahead of the reader (default 256). */
  buffer?: number;
}

export interface Delivery {
  seq: number;
  subject: string;
  /** When the server stored it. */
  time: Date;
  /** Messages on the filter after this one when it was delivered (0: this was the last one then). */
  pending: number;
  data: Uint8Array;
  /** The envelope, or null when the message is not one (see `problem`). Parsed on first use. */
  readonly env: AnyEnvelope | null;
  /** Why `env` is null. */
  readonly problem: string | undefined;
}

export interface Feed extends AsyncIterable<Delivery> {
  /** Messages on the filter at or after the start point when the feed was created. */
  readonly pendingAtStart: number;
  /** Stops the feed: the iteration ends after the message being handled. Idempotent. */
  close(): Promise<void>;
}

const decoder = new TextDecoder();

class ParsedDelivery implements Delivery {
  private parsed: { env: AnyEnvelope | null; problem: string | undefined } | undefined;

  constructor(
    readonly seq: number,
    readonly subject: string,
    readonly time: Date,
    readonly pending: number,
    readonly data: Uint8Array,
  ) {}

  get env(): AnyEnvelope | null {
    return this.parse().env;
  }

  get problem(): string | undefined {
    return this.parse().problem;
  }

  private parse(): { env: AnyEnvelope | null; problem: string | undefined } {
    if (this.parsed !== undefined) return this.parsed;
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(this.data));
    } catch {
      this.parsed = { env: null, problem: "not JSON" };
      return this.parsed;
    }
    const r = AnyEnvelopeSchema.safeParse(raw);
    this.parsed = r.success
      ? { env: r.data, problem: undefined }
      : { env: null, problem: `not a valid envelope: ${r.error.issues[0]?.message ?? "invalid"}` };
    return this.parsed;
  }
}

/** A delivery of raw bytes (tests, and messages read by sequence). */
export function deliveryOfParts(seq: number, subject: string, data: Uint8Array, time = new Date(), pending = 0): Delivery {
  return new ParsedDelivery(seq, subject, time, pending, data);
}

export function deliveryOf(m: JsMsg): Delivery {
  return new ParsedDelivery(m.seq, m.subject, m.time, m.info.pending, m.data);
}

function orderedOptions(o: FollowOptions): Partial<OrderedConsumerOptions> {
  const opts: Partial<OrderedConsumerOptions> = {};
  if (o.filter !== undefined) opts.filter_subjects = o.filter;
  const from = o.from ?? "all";
  if (from === "all") opts.deliver_policy = DeliverPolicy.All;
  else if (from === "new") opts.deliver_policy = DeliverPolicy.New;
  else if (from === "last-per-subject") opts.deliver_policy = DeliverPolicy.LastPerSubject;
  else if ("seq" in from) {
    opts.deliver_policy = DeliverPolicy.StartSequence;
    opts.opt_start_seq = Math.max(1, from.seq);
  } else {
    opts.deliver_policy = DeliverPolicy.StartTime;
    opts.opt_start_time = from.time.toISOString();
  }
  return opts;
}

/** Follows a stream with an ordered consumer (server-side ephemeral, deleted on close). */
export async function follow(js: JetStreamClient, o: FollowOptions): Promise<Feed> {
  const consumer = await js.consumers.get(o.stream, orderedOptions(o));
  const pendingAtStart = (await consumer.info(true)).num_pending;
  const messages = await consumer.consume({ max_messages: o.buffer ?? 256 });
  return feedOf(consumer, messages, pendingAtStart);
}

function feedOf(consumer: Consumer, messages: ConsumerMessages, pendingAtStart: number): Feed {
  let closed: Promise<void> | undefined;
  return {
    pendingAtStart,
    async *[Symbol.asyncIterator]() {
      for await (const m of messages) yield deliveryOf(m);
    },
    close() {
      // stop, not close: close() resolves only once a reader has iterated up to the end, and a feed may be closed
      // without ever being read (a replay that found nothing on its filter waited for ever)
      closed ??= (async () => {
        messages.stop();
        await consumer.delete().catch(() => undefined);
      })();
      return closed;
    },
  };
}

export class ReplayTimeoutError extends Error {
  override name = "ReplayTimeoutError";
}

/** A JetStream API "not found" (stream, consumer or message). */
export function isNotFound(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { status?: unknown; code?: unknown; message?: unknown; api_error?: { code?: unknown } };
  return e.status === 404 || e.code === 404 || e.api_error?.code === 404 || /not found|no message found/i.test(String(e.message));
}

export interface ReplayOptions extends FollowOptions {
  /** The whole replay's budget (default 10 min). */
  timeoutMs?: number;
}

export interface ReplayResult {
  /** The last sequence visited (0 when none). */
  last: number;
  /** Messages visited. */
  count: number;
}

/**
 * Calls `visit` for every message the stream holds on the filter from the start point, in stream order, and returns
 * once the one that was last when the replay started has been visited. Messages published meanwhile may or may not
 * be seen. A missing stream is an empty one. A work queue (which takes no consumer without acknowledgements) is read
 * message by message.
 */
export async function replay(
  js: JetStreamClient,
  jsm: JetStreamManager,
  o: ReplayOptions,
  visit: (d: Delivery) => void | Promise<void>,
): Promise<ReplayResult> {
  const out: ReplayResult = { last: 0, count: 0 };
  let info: Awaited<ReturnType<JetStreamManager["streams"]["info"]>>;
  try {
    info = await jsm.streams.info(o.stream);
  } catch (err) {
    if (isNotFound(err)) return out;
    throw err;
  }
  if (info.state.messages === 0) return out;
  if (info.config.retention === "workqueue") return replayBySeq(jsm, o, info.state, visit);
  const feed = await follow(js, o);
  if (feed.pendingAtStart === 0) {
    await feed.close();
    return out;
  }
  const timeoutMs = o.timeoutMs ?? 10 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void feed.close();
  }, timeoutMs);
  try {
    for await (const d of feed) {
      out.count++;
      out.last = d.seq;
      await visit(d);
      if (d.pending === 0 || out.count >= feed.pendingAtStart) return out;
    }
  } finally {
    clearTimeout(timer);
    await feed.close();
  }
  if (timedOut) throw new ReplayTimeoutError(`reading ${o.stream} ${o.filter ?? ""} did not finish in ${timeoutMs / 1000} s`);
  return out;
}

async function replayBySeq(
  jsm: JetStreamManager,
  o: ReplayOptions,
  state: { first_seq: number; last_seq: number },
  visit: (d: Delivery) => void | Promise<void>,
): Promise<ReplayResult> {
  const out: ReplayResult = { last: 0, count: 0 };
  const filters = o.filter === undefined ? [">"] : Array.isArray(o.filter) ? o.filter : [o.filter];
  const from = o.from ?? "all";
  if (from !== "all" && !(typeof from === "object" && "seq" in from)) {
    throw new Error(`replaying the work queue ${o.stream} supports from "all" or a sequence only`);
  }
  const start = Math.max(state.first_seq, from === "all" ? 1 : from.seq);
  for (let seq = start; seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(o.stream, { seq }).catch((err) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (m === null || !filters.some((f) => subjectMatches(f, m.subject))) continue;
    out.count++;
    out.last = m.seq;
    await visit(deliveryOfParts(m.seq, m.subject, m.data, m.time, state.last_seq - m.seq));
  }
  return out;
}

/**
 * The first message at or after the start point on the filter, or null when there is none within `waitMs` (at least
 * 1 s: the server's shortest pull expiry).
 */
export async function first(js: JetStreamClient, o: FollowOptions, waitMs = 1000): Promise<Delivery | null> {
  const consumer = await js.consumers.get(o.stream, orderedOptions(o));
  try {
    const m = await consumer.next({ expires: Math.max(1000, waitMs) });
    return m === null ? null : deliveryOf(m);
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

/** NATS subject matching: `*` one token, `>` the rest. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length || (f[i] !== "*" && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}
