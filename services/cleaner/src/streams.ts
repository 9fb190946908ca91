import type { JetStreamManager } from "@nats-io/jetstream";
import { type Bus, isNotFound } from "@persona/bus";

/**
 * Stream helpers of the cleaner: counting the messages on a subject filter, finding the first message published at
 * or after an instant (through the bus), and purging what is older (a stream's max_age is one value for all
 * its subjects, so retention per kind of message is done here, by subject filter and sequence).
 */

export { isNotFound };

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

/** The sequence of the first message on `filter` stored at or after `since`, or null when there is none. */
export async function firstSeqSince(bus: Bus, stream: string, filter: string, since: Date): Promise<number | null> {
  return (await bus.first({ stream, filter, from: { time: since } }))?.seq ?? null;
}

/**
 * Removes the messages on `filter` stored before `cutoff` and returns how many. Purges below the first younger
 * message; when none is younger, below the sequence after the stream's last one as it was before the search (so a
 * message published during the search survives).
 */
export async function purgeOlderThan(bus: Bus, stream: string, filter: string, cutoff: Date): Promise<number> {
  const info = await bus.jsm.streams.info(stream);
  if (info.state.messages === 0) return 0;
  const firstTime = info.state.first_ts ? Date.parse(info.state.first_ts) : Number.NaN;
  // nothing in the whole stream is that old
  if (Number.isFinite(firstTime) && firstTime >= cutoff.getTime()) return 0;
  const below = (await firstSeqSince(bus, stream, filter, cutoff)) ?? info.state.last_seq + 1;
  if (below <= 1) return 0;
  const r = await bus.jsm.streams.purge(stream, { filter, seq: below });
  return r.purged;
}
