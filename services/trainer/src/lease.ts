/**
 * One active trainer: a lease in the KV `leases` bucket, changed only by compare-and-set. The value carries its own
 * expiry (nats-server 2.9 ignores KV TTLs), the holder renews it every `ttl / 3`, and a waiting instance takes it
 * over once it has expired. Losing a renewal (someone else holds a newer revision) means the lease is lost.
 */
import type { KV } from "@nats-io/kv";
import { z } from "zod";

export const LeaseValue = z.object({ holder: z.string(), expiresAt: z.number(), acquiredAt: z.number() });
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
  onChange?: (held: boolean, detail: string) => void;
}

export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private heldFlag = false;
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

  get held(): boolean {
    return this.heldFlag;
  }

  /** One attempt: create, renew or take over the lease as `leaseAction` says; returns whether it is held now. */
  async tick(): Promise<boolean> {
    const entry = await this.kv.get(this.o.key);
    const live = entry !== null && entry.operation === "PUT" && entry.length > 0;
    let current: LeaseValue | null = null;
    if (live) {
      const parsed = LeaseValue.safeParse(entry.json());
      current = parsed.success ? parsed.data : { holder: "?", expiresAt: 0, acquiredAt: 0 };
    }
    const now = this.now();
    const action = leaseAction(current, this.o.holder, now);
    if (action === "wait") {
      this.set(false, `held by ${current?.holder} until ${new Date(current?.expiresAt ?? 0).toISOString()}`);
      return false;
    }
    if (action !== "renew") this.acquiredAt = now;
    const value: LeaseValue = { holder: this.o.holder, expiresAt: now + this.o.ttlMs, acquiredAt: this.acquiredAt };
    try {
      if (entry) await this.kv.update(this.o.key, JSON.stringify(value), entry.revision);
      else await this.kv.create(this.o.key, JSON.stringify(value));
      this.set(true, action === "renew" ? "renewed" : action === "takeover" ? `taken over from ${current?.holder}` : "acquired");
      return true;
    } catch (err) {
      if (!/wrong last sequence|key exists|10071|10164/i.test(String((err as Error).message))) throw err;
      this.set(false, "lost a compare-and-set race");
      return false;
    }
  }

  /** Ticks every ttl/3 until stopped; `onChange` reports gains and losses. */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.tick();
      } catch (err) {
        this.set(false, `lease check failed: ${(err as Error).message}`);
      }
      if (!this.stopped) this.timer = setTimeout(loop, Math.max(50, Math.floor(this.o.ttlMs / 3)));
    };
    void loop();
  }

  /** Stops renewing and, when held, releases the lease so a waiting instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.heldFlag) return;
    const entry = await this.kv.get(this.o.key);
    if (entry && entry.operation === "PUT" && entry.length > 0) {
      const v = LeaseValue.safeParse(entry.json());
      if (v.success && v.data.holder === this.o.holder) {
        const released: LeaseValue = { ...v.data, expiresAt: 0 };
        await this.kv.update(this.o.key, JSON.stringify(released), entry.revision).catch(() => {});
      }
    }
    this.set(false, "released");
  }

  private set(held: boolean, detail: string): void {
    const changed = held !== this.heldFlag;
    this.heldFlag = held;
    this.detail = detail;
    if (changed) this.o.onChange?.(held, detail);
  }
}
