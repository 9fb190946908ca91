import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import {
  LIBRARY_EVENT_TYPES,
  type LibraryChange,
  type LibraryEvent,
  type LibraryState,
  emptyLibrary,
  evolve,
} from "./library.ts";
import { type FollowerLog, StreamFold } from "./streamFold.ts";

const LIBRARY_TYPES = new Set<string>(LIBRARY_EVENT_TYPES);

export type { FollowerLog };

/**
 * Follows the LIBRARY stream from its start and folds it into a LibraryState, calling `onChange` for every change.
 * `start` resolves once everything published before it has been applied.
 */
export class LibraryFollower {
  readonly state: LibraryState = emptyLibrary();
  private readonly fold: StreamFold;

  constructor(log: FollowerLog, onChange: (change: LibraryChange, state: LibraryState) => void = () => {}) {
    this.fold = new StreamFold({
      what: "library",
      stream: "LIBRARY",
      types: LIBRARY_TYPES,
      apply: (env, seq) => onChange(evolve(this.state, env as LibraryEvent, seq), this.state),
      seq: () => this.state.seq,
      skip: (seq) => {
        this.state.seq = Math.max(this.state.seq, seq);
      },
      log,
    });
  }

  get ready(): boolean {
    return this.fold.ready;
  }

  /** `_jsm` is unused (kept for callers of the earlier signature). */
  async start(js: JetStreamClient, _jsm?: JetStreamManager): Promise<void> {
    await this.fold.start(js);
  }

  /** Resolves when at least `seq` has been applied (after publishing a library event, for example). */
  async waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    await this.fold.waitForSeq(seq, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.fold.stop();
  }
}
