import { createHash, randomUUID } from "node:crypto";
import { type DocumentStore, UtcTime, ValidatedCollection } from "@persona/store";
import { z } from "zod";

/**
 * Login rate limit and lockout, in the store (shared by replicas): per username and client IP, `maxFailures` failed
 * attempts within `windowMs` lock the pair for `lockMs`; a success clears the pair. Per client IP over all usernames,
 * `maxFailuresPerIp` failures lock the IP the same way (password spraying: one password tried on many usernames).
 *
 * Every attempt is recorded *before* the password is checked (one document per attempt) and counted after, so a burst
 * of parallel guesses cannot slip past the limit: the k-th concurrent attempt sees at least k attempts and is refused
 * once k exceeds the limit, without its password being checked.
 */

export const AttemptDoc = z.object({ id: z.uuid(), key: z.string().regex(/^[0-9a-f]{64}$/), at: UtcTime });
export const LockDoc = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/), lockedUntil: UtcTime });

export interface LimiterOptions {
  maxFailures: number;
  /** Failed attempts from one client IP, whatever the usernames, before the IP is locked. */
  maxFailuresPerIp: number;
  windowMs: number;
  lockMs: number;
}

export const DEFAULT_LIMITS: LimiterOptions = {
  maxFailures: 5,
  maxFailuresPerIp: 20,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
};

export type Attempt = { allowed: true; id: string; key: string; ipKey: string } | { allowed: false; retryAfterS: number };

export class LoginLimiter {
  private constructor(
    private readonly attempts: ValidatedCollection<typeof AttemptDoc>,
    private readonly locks: ValidatedCollection<typeof LockDoc>,
    readonly o: LimiterOptions,
  ) {}

  static async open(store: DocumentStore, o: LimiterOptions = DEFAULT_LIMITS): Promise<LoginLimiter> {
    return new LoginLimiter(
      await ValidatedCollection.open(store, { name: "portal_login_attempts", indexes: [{ fields: ["key", "at"] }] }, AttemptDoc),
      await ValidatedCollection.open(store, { name: "portal_login_locks" }, LockDoc),
      o,
    );
  }

  private ipKey(ip: string): string {
    return createHash("sha256").update(`\u0000any user\n${ip}`).digest("hex");
  }

  private key(username: string, ip: string): string {
    return createHash("sha256")
      .update(`${username.normalize("NFKC").toLowerCase()}\n${ip}`)
      .digest("hex");
  }

  private async lockedFor(key: string, now: number): Promise<number> {
    const lock = await this.locks.get(key);
    const left = lock ? Date.parse(lock.lockedUntil) - now : 0;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  private async lock(key: string, now: number): Promise<number> {
    // the attempts stay: they age out of the window as the lock ends (window = lock by default)
    await this.locks.put({ id: key, lockedUntil: new Date(now + this.o.lockMs) });
    return Math.ceil(this.o.lockMs / 1000);
  }

  private async recent(key: string, now: number): Promise<number> {
    return this.attempts.count({ key, at: { $gt: new Date(now - this.o.windowMs).toISOString() } });
  }

  /** Call before checking the password: records the attempt, or refuses it (locked, or too many at once). */
  async begin(username: string, ip: string, now = Date.now()): Promise<Attempt> {
    const key = this.key(username, ip);
    const ipKey = this.ipKey(ip);
    const locked = Math.max(await this.lockedFor(key, now), await this.lockedFor(ipKey, now));
    if (locked > 0) return { allowed: false, retryAfterS: locked };
    const id = randomUUID();
    await this.attempts.put({ id, key, at: new Date(now) });
    await this.attempts.put({ id: randomUUID(), key: ipKey, at: new Date(now) });
    if ((await this.recent(key, now)) > this.o.maxFailures) return { allowed: false, retryAfterS: await this.lock(key, now) };
    if ((await this.recent(ipKey, now)) > this.o.maxFailuresPerIp) {
      return { allowed: false, retryAfterS: await this.lock(ipKey, now) };
    }
    return { allowed: true, id, key, ipKey };
  }

  /** The password was wrong: returns the seconds now locked (0 when not locked yet). */
  async failed(a: { key: string; ipKey: string }, now = Date.now()): Promise<number> {
    if ((await this.recent(a.key, now)) >= this.o.maxFailures) return this.lock(a.key, now);
    if ((await this.recent(a.ipKey, now)) >= this.o.maxFailuresPerIp) return this.lock(a.ipKey, now);
    return 0;
  }

  /** The password was right: the pair starts afresh. */
  async succeeded(a: { key: string; id: string; ipKey: string }): Promise<void> {
    await this.attempts.deleteMany({ key: a.key });
    await this.locks.delete(a.key);
    // a good login is no failure of its IP either (the failures before it stay counted)
    const latest = await this.attempts.find({ key: a.ipKey }, { sort: { at: -1 }, limit: 1 });
    if (latest[0]) await this.attempts.delete(latest[0].id);
  }

  /**
   * API keys (`Authorization: Bearer`): the seconds the client IP is locked for (0: not locked). Failed bearer
   * attempts count as failed logins of the IP (`bearerFailed`), so key guessing and password spraying share one limit.
   */
  async ipLocked(ip: string, now = Date.now()): Promise<number> {
    return this.lockedFor(this.ipKey(ip), now);
  }

  /** A bearer token that is no usable key: one more failure of the IP; returns the seconds now locked (0: not yet). */
  async bearerFailed(ip: string, now = Date.now()): Promise<number> {
    const ipKey = this.ipKey(ip);
    await this.attempts.put({ id: randomUUID(), key: ipKey, at: new Date(now) });
    if ((await this.recent(ipKey, now)) >= this.o.maxFailuresPerIp) return this.lock(ipKey, now);
    return 0;
  }

  /** Forgets attempts older than the window and expired locks. */
  async purge(now = Date.now()): Promise<void> {
    await this.attempts.deleteMany({ at: { $lt: new Date(now - this.o.windowMs).toISOString() } });
    await this.locks.deleteMany({ lockedUntil: { $lt: new Date(now).toISOString() } });
  }
}
