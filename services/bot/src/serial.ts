/**
 * Ordering and background work for the update handler. Telegram's long polling hands over batches that telegraf
 * handles concurrently; the chat queue keeps one chat's updates in order ("/clear" before the phrase that confirms
 * it), while slow work (downloads, waiting for the recognizer, an import) runs as tracked tasks so it holds up
 * neither the chat nor the next batch, and a stop waits for it.
 */
export class ChatQueue {
  private readonly tails = new Map<number, Promise<void>>();

  run(chatId: number, work: () => Promise<void>): Promise<void> {
    const prev = this.tails.get(chatId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(chatId, tail);
    void tail.then(() => {
      if (this.tails.get(chatId) === tail) this.tails.delete(chatId);
    });
    return next;
  }
}

export class Tasks {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  spawn(work: () => Promise<unknown>): void {
    const p: Promise<void> = work()
      .then(() => undefined)
      .catch(this.onError)
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  get size(): number {
    return this.running.size;
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/**
 * Collects the messages of a Telegram album (one update per photo, sharing a media_group_id) and hands them over
 * together once no new one arrived for `waitMs`.
 */
export class AlbumCollector<T> {
  private readonly open = new Map<string, { items: T[]; timer: NodeJS.Timeout }>();

  constructor(
    private readonly waitMs: number,
    private readonly complete: (key: string, items: T[]) => void,
    private readonly maxItems = 10,
  ) {}

  add(key: string, item: T): void {
    const g = this.open.get(key) ?? { items: [], timer: undefined as unknown as NodeJS.Timeout };
    clearTimeout(g.timer);
    g.items.push(item);
    this.open.set(key, g);
    if (g.items.length >= this.maxItems) {
      this.flush(key);
      return;
    }
    g.timer = setTimeout(() => this.flush(key), this.waitMs);
  }

  private flush(key: string): void {
    const g = this.open.get(key);
    if (!g) return;
    clearTimeout(g.timer);
    this.open.delete(key);
    this.complete(key, g.items);
  }

  /** Hands over whatever is open now (on stop). */
  flushAll(): void {
    for (const k of [...this.open.keys()]) this.flush(k);
  }
}
