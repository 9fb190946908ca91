import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { type Feed, follow } from "@persona/bus";
import type { AnyEnvelope } from "@persona/contracts";
import { SeqWaiters } from "./seqWaiters.ts";

export interface FollowerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StreamFoldOptions<S extends { seq: number }> {
  /** Names the fold in logs and timeout errors ("library", "visitors"). */
  what: string;
  stream: string;
  filter?: string;
  /** The envelope types the fold applies; any other message is skipped with a warning (the state's seq moves on). */
  types: ReadonlySet<string>;
  /** The state, folded in place. */
  state: S;
  /** Folds one event at its stream sequence into the state. */
  apply(state: S, env: AnyEnvelope, seq: number): void;
  log: FollowerLog;
}

/**
 * Folds a stream (or a subject filter of it) from its start into an in-memory state, live, through the bus's
 * ordered follow. `start` resolves once everything on the filter when it was called has been applied; `waitForSeq`
 * resolves once a given sequence has (after publishing an event, for example), without polling.
 */
export class StreamFold<S extends { seq: number }> {
  readonly state: S;
  private feed: Feed | undefined;
  private caughtUp = false;
  private readonly startWaiters: (() => void)[] = [];
  private readonly seqWaiters: SeqWaiters;

  constructor(private readonly o: StreamFoldOptions<S>) {
    this.state = o.state;
    this.seqWaiters = new SeqWaiters(o.what);
  }

  get ready(): boolean {
    return this.caughtUp;
  }

  /** `_jsm` is unused (kept for callers of the earlier signature). */
  async start(js: JetStreamClient, _jsm?: JetStreamManager): Promise<void> {
    const feed = await follow(js, { stream: this.o.stream, filter: this.o.filter, from: "all" });
    this.feed = feed;
    const started = new Promise<void>((resolve) => this.startWaiters.push(resolve));
    // the messages on the filter now (the stream's last one may have been deleted: an erased person)
    if (feed.pendingAtStart === 0) this.markCaughtUp();
    let delivered = 0;
    void (async () => {
      for await (const d of feed) {
        delivered++;
        try {
          if (d.env !== null && this.o.types.has(d.env.type)) this.o.apply(this.state, d.env, d.seq);
          else {
            this.skip(d.seq);
            this.o.log.warn({ seq: d.seq, subject: d.subject }, `ignoring a message that is not a ${this.o.what} event`);
          }
        } catch (err) {
          this.skip(d.seq);
          this.o.log.error({ err, seq: d.seq }, `cannot apply a ${this.o.what} event; skipped`);
        }
        if (!this.caughtUp && (delivered >= feed.pendingAtStart || d.pending === 0)) this.markCaughtUp();
        this.seqWaiters.notify(this.state.seq);
      }
    })();
    await started;
  }

  private skip(seq: number): void {
    this.state.seq = Math.max(this.state.seq, seq);
  }

  private markCaughtUp(): void {
    this.caughtUp = true;
    for (const w of this.startWaiters.splice(0)) w();
  }

  /** Resolves when at least `seq` has been applied. */
  async waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    await this.seqWaiters.wait(seq, () => this.state.seq, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.feed?.close();
  }
}
