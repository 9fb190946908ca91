import type { KV } from "@nats-io/kv";
import { z } from "zod";

const LeaseValue = z.object({ holder: z.string(), expiresAt: z.number() });

/**
 * A lease in the KV `leases` bucket, taken and renewed only by compare-and-set on the entry's revision, so at most
 * one holder at a time. A holder that stops renewing loses it when `expiresAt` passes (by the next taker's clock:
 * clocks of the machines should agree within a small part of the lease time).
 */
export class Lease {
  private heldUntil = 0;

  constructor(
    private readonly kv: KV,
    readonly key: string,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Held by us, and not past its expiry by our clock. */
  get held(): boolean {
    return this.now() < this.heldUntil;
  }

  /** Takes the lease if it is free or expired, or renews it if ours. Returns whether we hold it now. */
  async acquire(): Promise<boolean> {
    const now = this.now();
    const value = JSON.stringify({ holder: this.holder, expiresAt: now + this.ttlMs });
    try {
      const entry = await this.kv.get(this.key);
      if (entry === null || entry.operation !== "PUT" || entry.length === 0) {
        if (entry === null) await this.kv.create(this.key, value);
        else await this.kv.update(this.key, value, entry.revision);
      } else {
        const parsed = LeaseValue.safeParse(safeJson(entry.string()));
        const current = parsed.success ? parsed.data : null;
        if (current !== null && current.holder !== this.holder && current.expiresAt > now) {
          this.heldUntil = 0;
          return false;
        }
        await this.kv.update(this.key, value, entry.revision);
      }
      this.heldUntil = now + this.ttlMs;
      return true;
    } catch (err) {
      if (isWrongRevision(err)) {
        this.heldUntil = 0;
        return false;
      }
      throw err;
    }
  }

  /** Gives the lease up (if still ours), so another cleaner takes over at once. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.heldUntil = 0;
    const entry = await this.kv.get(this.key);
    if (entry === null || entry.operation !== "PUT") return;
    const parsed = LeaseValue.safeParse(safeJson(entry.string()));
    if (!parsed.success || parsed.data.holder !== this.holder) return;
    await this.kv.delete(this.key, { previousSeq: entry.revision }).catch(() => undefined);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isWrongRevision(err: unknown): boolean {
  const msg = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err);
  return /wrong last sequence|key exists|10071|10164/i.test(msg);
}
