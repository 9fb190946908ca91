import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";

/**
 * Stream helpers of the cleaner: scanning a stream (or a subject filter of it) with an ordered consumer, finding the
 * first message published at or after an instant, and purging what is older (a stream's max_age is one value for all
 * its subjects, so retention per kind of message is done here, by subject filter and sequence).
 */

export interface ScannedMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** When the server stored it. */
  time: Date;
}

export class ScanTimeoutError extends Error {
  override name = "ScanTimeoutError";
}

/** A JetStream API "not found" (stream, consumer or message). */
export function isNotFound(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { status?: unknown; code?: unknown; message?: unknown; api_error?: { code?: unknown } };
  return e.status === 404 || e.code === 404 || e.api_error?.code === 404 || /not found|no message found/i.test(String(e.message));
}

/** How many messages the stream holds on `filter`. */
export async function countOn(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  try {
    const info = await jsm.streams.info(stream, { subjects_filter: filter });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}

/**
 * Calls `visit` for every message on `filter` from `fromSeq` on, in stream order, and returns the last sequence seen
 * (0 when none). The scan ends at the message the server says is the last one; messages published meanwhile may or
 * may not be seen.
 */
export async function scanStream(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  visit: (m: ScannedMessage) => void | Promise<void>,
  options: { fromSeq?: number; timeoutMs?: number } = {},
): Promise<number> {
  const fromSeq = Math.max(1, options.fromSeq ?? 1);
  if ((await countOn(jsm, stream, filter)) === 0) return 0;
  const info = await jsm.streams.info(stream);
  // a work queue takes no consumer without acknowledgements (and is short): read it message by message
  if (info.config.retention === "workqueue") return scanBySeq(jsm, stream, filter, visit, fromSeq);
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: fromSeq,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  let last = 0;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new ScanTimeoutError(`scanning ${stream} ${filter} did not finish in time`);
      const batch = await consumer.fetch({ max_messages: 256, expires: 1000 });
      let got = 0;
      let done = false;
      for await (const m of batch) {
        got++;
        last = m.seq;
        await visit(toScanned(m));
        if (m.info.pending === 0) {
          done = true;
          break;
        }
      }
      if (done || got === 0) return last;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

async function scanBySeq(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  visit: (m: ScannedMessage) => void | Promise<void>,
  fromSeq: number,
): Promise<number> {
  const info = await jsm.streams.info(stream);
  let last = 0;
  for (let seq = Math.max(fromSeq, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch((err) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (m === null || !subjectMatches(filter, m.subject)) continue;
    last = m.seq;
    await visit({ seq: m.seq, subject: m.subject, data: m.data, time: m.time });
  }
  return last;
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

function toScanned(m: JsMsg): ScannedMessage {
  return { seq: m.seq, subject: m.subject, data: m.data, time: m.time };
}

/** The sequence of the first message on `filter` stored at or after `since`, or null when there is none. */
export async function firstSeqSince(js: JetStreamClient, stream: string, filter: string, since: Date): Promise<number | null> {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: since.toISOString(),
  });
  try {
    const m = await consumer.next({ expires: 1000 });
    return m === null ? null : m.seq;
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

/**
 * Removes the messages on `filter` stored before `cutoff` and returns how many. Purges below the first younger
 * message; when none is younger, below the sequence after the stream's last one as it was before the search (so a
 * message published during the search survives).
 */
export async function purgeOlderThan(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  cutoff: Date,
): Promise<number> {
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return 0;
  const firstTime = info.state.first_ts ? Date.parse(info.state.first_ts) : Number.NaN;
  // nothing in the whole stream is that old
  if (Number.isFinite(firstTime) && firstTime >= cutoff.getTime()) return 0;
  const below = (await firstSeqSince(js, stream, filter, cutoff)) ?? info.state.last_seq + 1;
  if (below <= 1) return 0;
  const r = await jsm.streams.purge(stream, { filter, seq: below });
  return r.purged;
}
