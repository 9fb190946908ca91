/**
 * One active instance of a service: a lease in the KV `leases` bucket, changed only by compare-and-set on the entry's
 * revision, so at most one holder at a time. The value carries its own expiry (nats-server 2.9 ignores KV TTLs); the
 * holder renews it (every `ttl / 3` with `start()`), and a waiting instance takes it over once it has expired (by the
 * taker's clock: the machines' clocks should agree within a small part of the lease time). Losing a renewal (someone
 * else holds a newer revision) means the lease is lost. The active trainer and the active cleaner hold one each.
 */
import type { KV } from "@nats-io/kv";
import { z } from "zod";

/** What the lease's KV entry holds; `acquiredAt` is absent in values written before it was added. */
export const LeaseValue = z.object({ holder: z.string(), expiresAt: z.number(), acquiredAt: z.number().optional() });
export type LeaseValue = z.infer<typeof LeaseValue>;

export type LeaseAction = "create" | "renew" | "takeover" | "wait";

/** What an instance should do about the lease it sees (pure). */
export function leaseAction(current: LeaseValue | null, me: string, now: number): LeaseAction {
  if (current === null) return "create";
  if (current.holder === me) return "renew";
  return current.expiresAt <= now ? "takeover" : "wait";
}

export interface LeaseOptions {
  key: string;
  holder: string;
  ttlMs: number;
  now?: () => number;
  /** Called when `acquire` finds the lease gained or lost (not when it merely expires unrenewed). */
  onChange?: (held: boolean, detail: string) => void;
}

export class Lease {
  private timer: NodeJS.Timeout | undefined;
  /** Until when our last successful take or renewal holds, by our clock; 0 when not ours. */
  private heldUntil = 0;
  /** The state last reported to `onChange`. */
  private reported = false;
  /** The last thing seen about the lease, for status pages. */
  detail = "not checked yet";
  private stopped = false;
  private acquiredAt = 0;
  private readonly now: () => number;

  constructor(
    private readonly kv: KV,
    private readonly o: LeaseOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  get key(): string {
    return this.o.key;
  }

  get holder(): string {
    return this.o.holder;
  }

  /** Held by us, and not past its expiry by our clock. */
  get held(): boolean {
    return this.now() < this.heldUntil;
  }

  /**
   * One attempt: create, renew or take over the lease as `leaseAction` says (a value that does not parse counts as
   * expired); returns whether it is held now. Throws when KV does not answer (the lease then lapses at its expiry).
   */
  async acquire(): Promise<boolean> {
    const entry = await this.kv.get(this.o.key);
    const live = entry !== null && entry.operation === "PUT" && entry.length > 0;
    let current: LeaseValue | null = null;
    if (live) {
      const parsed = LeaseValue.safeParse(safeJson(entry.string()));
      current = parsed.success ? parsed.data : { holder: "?", expiresAt: 0 };
    }
    const now = this.now();
    const action = leaseAction(current, this.o.holder, now);
    if (action === "wait") {
      this.set(0, `held by ${current?.holder} until ${new Date(current?.expiresAt ?? 0).toISOString()}`);
      return false;
    }
    if (action !== "renew") this.acquiredAt = now;
    const value = JSON.stringify({ holder: this.o.holder, expiresAt: now + this.o.ttlMs, acquiredAt: this.acquiredAt });
    try {
      if (entry) await this.kv.update(this.o.key, value, entry.revision);
      else await this.kv.create(this.o.key, value);
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
      this.set(0, "lost a compare-and-set race");
      return false;
    }
    this.set(
      now + this.o.ttlMs,
      action === "renew" ? "renewed" : action === "takeover" ? `taken over from ${current?.holder}` : "acquired",
    );
    return true;
  }

  /** Acquires every ttl/3 until stopped; `onChange` reports gains and losses (a failed check counts as lost). */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.acquire();
      } catch (err) {
        this.set(0, `lease check failed: ${(err as Error).message}`);
      }
      if (!this.stopped) this.timer = setTimeout(loop, Math.max(50, Math.floor(this.o.ttlMs / 3)));
    };
    void loop();
  }

  /** When ours, gives the lease up (marks it expired), so a waiting instance takes over at once. */
  async release(): Promise<void> {
    if (!this.reported) return;
    const entry = await this.kv.get(this.o.key);
    if (entry && entry.operation === "PUT" && entry.length > 0) {
      const v = LeaseValue.safeParse(safeJson(entry.string()));
      if (v.success && v.data.holder === this.o.holder) {
        const released: LeaseValue = { ...v.data, expiresAt: 0 };
        await this.kv.update(this.o.key, JSON.stringify(released), entry.revision).catch(() => {});
      }
    }
    this.set(0, "released");
  }

  /** Stops renewing (`start`) and releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.release();
  }

  private set(heldUntil: number, detail: string): void {
    const held = heldUntil > 0;
    this.heldUntil = heldUntil;
    this.detail = detail;
    if (held !== this.reported) {
      this.reported = held;
      this.o.onChange?.(held, detail);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Whether a KV create/update/delete failed because the entry's revision was not the one expected (compare-and-set). */
export function isWrongRevision(err: unknown): boolean {
  const msg = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err);
  return /wrong last sequence|key exists|10071|10164/i.test(msg);
}
