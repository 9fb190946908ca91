import type { ConsumerMessages, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { AnyEnvelopeSchema } from "@persona/contracts";
import {
  LIBRARY_EVENT_TYPES,
  type LibraryChange,
  type LibraryEvent,
  type LibraryState,
  emptyLibrary,
  evolve,
} from "./library.ts";
import { SeqWaiters } from "./seqWaiters.ts";

const LIBRARY_TYPES = new Set<string>(LIBRARY_EVENT_TYPES);

export interface FollowerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Follows the LIBRARY stream from its start with an ordered consumer and folds it into a LibraryState, calling
 * `onChange` for every change. `start` resolves once everything published before it has been applied.
 */
export class LibraryFollower {
  readonly state: LibraryState = emptyLibrary();
  private messages: ConsumerMessages | undefined;
  private targetSeq = 0;
  private caughtUp = false;
  private readonly startWaiters: (() => void)[] = [];
  private readonly seqWaiters = new SeqWaiters("library");

  constructor(
    private readonly log: FollowerLog,
    private readonly onChange: (change: LibraryChange, state: LibraryState) => void = () => {},
  ) {}

  get ready(): boolean {
    return this.caughtUp;
  }

  async start(js: JetStreamClient, jsm: JetStreamManager): Promise<void> {
    const info = await jsm.streams.info("LIBRARY");
    this.targetSeq = info.state.messages > 0 ? info.state.last_seq : 0;
    const consumer = await js.consumers.get("LIBRARY");
    const messages = await consumer.consume();
    this.messages = messages;
    const started = new Promise<void>((resolve) => this.startWaiters.push(resolve));
    this.notify();
    void (async () => {
      for await (const m of messages) {
        try {
          const parsed = AnyEnvelopeSchema.safeParse(m.json());
          if (parsed.success && LIBRARY_TYPES.has(parsed.data.type)) {
            this.onChange(evolve(this.state, parsed.data as LibraryEvent, m.seq), this.state);
          } else {
            this.state.seq = Math.max(this.state.seq, m.seq);
            this.log.warn({ seq: m.seq, subject: m.subject }, "ignoring a LIBRARY message that is not a library event");
          }
        } catch (err) {
          this.state.seq = Math.max(this.state.seq, m.seq);
          this.log.error({ err, seq: m.seq }, "cannot apply LIBRARY message; skipped");
        }
        // the stream's last message may have been deleted (an erased person): nothing pending is caught up too
        if (m.info.pending === 0 && this.targetSeq > this.state.seq) this.targetSeq = this.state.seq;
        this.notify();
      }
    })();
    await started;
  }

  private notify(): void {
    this.seqWaiters.notify(this.state.seq);
    if (this.state.seq >= this.targetSeq) {
      this.caughtUp = true;
      for (const w of this.startWaiters.splice(0)) w();
    }
  }

  /** Resolves when at least `seq` has been applied (after publishing a library event, for example). */
  async waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    await this.seqWaiters.wait(seq, () => this.state.seq, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.messages?.close();
  }
}
