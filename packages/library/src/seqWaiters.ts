/** Callers waiting for a follower to have applied a stream sequence (after publishing an event, for example). */
export class SeqWaiters {
  private readonly waiters: { seq: number; resolve: () => void }[] = [];

  /** `what` names the follower in the timeout error ("library", "visitors"). */
  constructor(private readonly what: string) {}

  /** Resolves the waiters whose sequence `applied` has reached. */
  notify(applied: number): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w && applied >= w.seq) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves when `applied()` reaches `seq`; rejects after `timeoutMs`. */
  async wait(seq: number, applied: () => number, timeoutMs: number): Promise<void> {
    if (applied() >= seq) return;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<void>((resolve) => this.waiters.push({ seq, resolve }));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.what} did not reach seq ${seq} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([reached, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
