/**
 * Waits for the library (followed in memory) to reach a condition, e.g. a named visitor's person and templates.
 * The LibraryFollower calls `check` on every change; a stop cancels whoever is still waiting.
 */
export class LibraryWaits {
  private readonly waits = new Set<{ check: () => void; cancel: () => void }>();

  /** Re-evaluates every open wait (the library changed). */
  check(): void {
    for (const w of [...this.waits]) w.check();
  }

  /** true once `pred` holds, false after `timeoutMs`, null when cancelled (the bot is stopping). */
  until(pred: () => boolean, timeoutMs: number): Promise<boolean | null> {
    return new Promise<boolean | null>((resolve) => {
      if (pred()) return resolve(true);
      const w = {
        check: () => {
          if (pred()) finish(true);
        },
        cancel: () => finish(null),
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (v: boolean | null) => {
        clearTimeout(timer);
        this.waits.delete(w);
        resolve(v);
      };
      this.waits.add(w);
    });
  }

  cancelAll(): void {
    for (const w of [...this.waits]) w.cancel();
  }
}
