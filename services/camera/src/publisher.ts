/**
 * Publishes one camera's events one after another, in the order they were made (a track's shots before its end,
 * statuses between them), without making the frame loop wait for each acknowledgement. The queue is bounded by the
 * frame loop: it waits for `waitBelow(limit)` before it takes the next frame, so when NATS is slow or away, frames are
 * dropped at the source (counted there) and never events, and memory stays bounded.
 */
interface Waiter {
  below: number;
  resolve: () => void;
}

export class OrderedPublisher<E> {
  #pending = 0;
  #tail: Promise<void> = Promise.resolve();
  #waiters: Waiter[] = [];

  constructor(
    private readonly publish: (event: E) => Promise<unknown>,
    /** A publish failed (`event` null: making a lazy event failed). */
    private readonly onError: (event: E | null, err: unknown) => void,
  ) {}

  /** Events queued or being published. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues an event (or a function making it, or null for nothing, when its turn comes); it is published after every
   * event queued before it, then `onPublished` runs. A failed publish is reported, not retried (`Bus.publish` already
   * retried it through disconnections for its whole retry window). */
  enqueue(event: E | (() => E | null), onPublished?: () => void): void {
    this.#pending++;
    this.#tail = this.#tail.then(async () => {
      let e: E | null = null;
      try {
        // a lazy event is made when its turn comes: after every event before it was published or failed
        e = typeof event === "function" ? (event as () => E | null)() : event;
        if (e === null) return;
        await this.publish(e);
        onPublished?.();
      } catch (err) {
        this.onError(e, err);
      } finally {
        this.#pending--;
        this.#wakeWaiters();
      }
    });
  }

  /** Resolves once fewer than `limit` events are pending. */
  waitBelow(limit: number): Promise<void> {
    if (this.#pending < limit) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push({ below: limit, resolve }));
  }

  /** Resolves when every queued event has been published (or has failed). */
  drain(): Promise<void> {
    return this.#tail;
  }

  #wakeWaiters(): void {
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#pending < w.below) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }
}
