import { createHash, randomBytes } from "node:crypto";
import { type DocumentStore, type UserRole, UtcTime, ValidatedCollection } from "@persona/store";
import { z } from "zod";

/**
 * Sessions live in the store (so any portal replica serves any request). The cookie carries a random 256-bit token;
 * the store keeps only its sha256 as the document id, so reading the database does not give a usable session.
 */

export const SESSION_COOKIE = "persona_sid";

export const SessionDoc = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  username: z.string().min(1),
  userId: z.string().min(1),
  csrfToken: z.string().min(1),
  createdAt: UtcTime,
  expiresAt: UtcTime,
});
export type SessionDoc = z.infer<typeof SessionDoc>;

export interface Session {
  /** sha256 of the cookie token (the store id). */
  id: string;
  userId: string;
  username: string;
  role: z.infer<typeof UserRole>;
  /** Empty for an API key (no cookie, so no CSRF check). */
  csrfToken: string;
  expiresAt: string;
  /** Set when the request came with `Authorization: Bearer <API key>` (then the role is the key's). */
  apiKeyId?: string;
}

const digest = (token: string) => createHash("sha256").update(token).digest("hex");

export class SessionStore {
  private constructor(
    private readonly docs: ValidatedCollection<typeof SessionDoc>,
    readonly ttlMs: number,
  ) {}

  static async open(store: DocumentStore, ttlMs: number): Promise<SessionStore> {
    const docs = await ValidatedCollection.open(
      store,
      { name: "portal_sessions", indexes: [{ fields: ["userId"] }, { fields: ["expiresAt"] }] },
      SessionDoc,
    );
    return new SessionStore(docs, ttlMs);
  }

  /** Creates a session; returns the cookie token (shown once) and the document. */
  async create(user: { id: string; username: string }, now = Date.now()): Promise<{ token: string; doc: SessionDoc }> {
    const token = randomBytes(32).toString("base64url");
    const doc = await this.docs.put({
      id: digest(token),
      userId: user.id,
      username: user.username,
      csrfToken: randomBytes(24).toString("base64url"),
      createdAt: new Date(now),
      expiresAt: new Date(now + this.ttlMs),
    });
    return { token, doc };
  }

  /** The live session of a cookie token (expired ones are deleted on sight). */
  async find(token: string, now = Date.now()): Promise<SessionDoc | undefined> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const doc = await this.docs.get(digest(token));
    if (doc === undefined) return undefined;
    if (Date.parse(doc.expiresAt) <= now) {
      await this.docs.delete(doc.id);
      return undefined;
    }
    return doc;
  }

  /** A live session by its id (the token's digest). */
  async get(id: string, now = Date.now()): Promise<SessionDoc | undefined> {
    const doc = await this.docs.get(id);
    return doc !== undefined && Date.parse(doc.expiresAt) > now ? doc : undefined;
  }

  async delete(id: string): Promise<void> {
    await this.docs.delete(id);
  }

  /** Ends every session of a user (removed, password or role changed). */
  async deleteUser(userId: string): Promise<number> {
    return this.docs.deleteMany({ userId });
  }

  async purgeExpired(now = Date.now()): Promise<number> {
    return this.docs.deleteMany({ expiresAt: { $lt: new Date(now).toISOString() } });
  }
}

/** Reads one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookie(token: string, maxAgeMs: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
