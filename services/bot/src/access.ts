import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Who may use the bot: the admin password (kept only as a scrypt hash, compared in constant time) and the per-chat
 * limit on login attempts. No I/O besides the CPU-bound hash.
 */

const KEY_LENGTH = 32;
/** scrypt cost: N=2^15, r=8 (about 32 MiB, tens of ms per attempt). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function hash(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, KEY_LENGTH, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export class AdminPassword {
  private constructor(
    private readonly salt: Buffer,
    private readonly digest: Buffer,
  ) {}

  /** Hashes the configured password once at start; the plain text is not kept. */
  static async fromPlain(password: string): Promise<AdminPassword> {
    const salt = randomBytes(16);
    return new AdminPassword(salt, await hash(password, salt));
  }

  /** True when `attempt` is the password. Always hashes, so time does not depend on how much of it matched. */
  async verify(attempt: string): Promise<boolean> {
    const candidate = await hash(attempt, this.salt);
    return timingSafeEqual(candidate, this.digest);
  }
}

export interface LoginLimitOptions {
  /** Failed attempts allowed within `windowMs` before the chat is locked out. */
  maxFailures: number;
  windowMs: number;
  /** How long a locked-out chat is refused, whatever it sends (the right password too). */
  lockoutMs: number;
}

interface ChatAttempts {
  failures: number[];
  lockedUntil: number;
}

export type LoginGate = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Rate limit of /login per chat, with lockout. The clock is passed in. */
export class LoginLimiter {
  private readonly chats = new Map<number, ChatAttempts>();

  constructor(private readonly options: LoginLimitOptions) {}

  /** May this chat try a password now? */
  check(chatId: number, now: number): LoginGate {
    const a = this.chats.get(chatId);
    if (a && a.lockedUntil > now) return { allowed: false, retryAfterMs: a.lockedUntil - now };
    return { allowed: true };
  }

  /** Records a wrong password; returns the lockout if this failure caused one. */
  failed(chatId: number, now: number): LoginGate {
    const a = this.chats.get(chatId) ?? { failures: [], lockedUntil: 0 };
    a.failures = a.failures.filter((t) => now - t < this.options.windowMs);
    a.failures.push(now);
    if (a.failures.length >= this.options.maxFailures) {
      a.lockedUntil = now + this.options.lockoutMs;
      a.failures = [];
    }
    this.chats.set(chatId, a);
    this.prune(now);
    return this.check(chatId, now);
  }

  succeeded(chatId: number): void {
    this.chats.delete(chatId);
  }

  /** Attempts left before a lockout (for the reply). */
  remaining(chatId: number, now: number): number {
    const a = this.chats.get(chatId);
    const recent = a ? a.failures.filter((t) => now - t < this.options.windowMs).length : 0;
    return Math.max(0, this.options.maxFailures - recent);
  }

  private prune(now: number): void {
    if (this.chats.size < 10_000) return;
    for (const [id, a] of this.chats) {
      if (a.lockedUntil <= now && a.failures.every((t) => now - t >= this.options.windowMs)) this.chats.delete(id);
    }
  }
}
