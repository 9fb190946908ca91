import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type DocumentStore, UserRole, UtcTime, ValidatedCollection } from "@persona/store";
import { z } from "zod";

/**
 * API keys for scripts and integrations (`Authorization: Bearer <key>`). A key is `pk_<8 chars>_<43 chars>`: 40 random
 * bytes in all; the first 6 bytes (the prefix, shown in lists so people can tell keys apart) and 32 secret bytes. The
 * store keeps only the sha256 of the whole key (the document's `hash`): a key is 256 bits of randomness, so nobody can
 * guess it from its hash and a slow password hash (scrypt) would add nothing but latency on every request; sha256 also
 * makes the lookup an exact index match. The plaintext key is returned once, when it is created.
 *
 * Every request made with a known key (valid, or refused as revoked/expired) is audited in `portal_api_key_uses`,
 * kept for `USES_RETENTION_MS` and at most `USES_PER_KEY` per key (housekeeping trims both).
 */

export const API_KEY = /^pk_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/;
export const USES_RETENTION_MS = 30 * 24 * 60 * 60_000;
export const USES_PER_KEY = 10_000;

export const ApiKeyDoc = z.object({
  id: z.uuid(),
  name: z.string().min(1).max(100),
  /** `pk_<8 chars>`: not secret, shown in lists. */
  prefix: z.string().regex(/^pk_[A-Za-z0-9_-]{8}$/),
  /** sha256 (hex) of the whole key. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  role: UserRole,
  createdAt: UtcTime,
  createdBy: z.string(),
  expiresAt: UtcTime.nullable(),
  revokedAt: UtcTime.nullable(),
  revokedBy: z.string().nullable(),
  lastUsedAt: UtcTime.nullable(),
});
export type ApiKeyDoc = z.infer<typeof ApiKeyDoc>;

export const ApiKeyUseDoc = z.object({
  id: z.uuid(),
  keyId: z.uuid(),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  ip: z.string(),
  at: UtcTime,
});
export type ApiKeyUseDoc = z.infer<typeof ApiKeyUseDoc>;

const digest = (key: string) => createHash("sha256").update(key).digest("hex");

export type KeyCheck =
  | { ok: true; key: ApiKeyDoc }
  | { ok: false; reason: "malformed" | "unknown" }
  | { ok: false; reason: "revoked" | "expired"; key: ApiKeyDoc };

export class ApiKeyStore {
  private constructor(
    private readonly keys: ValidatedCollection<typeof ApiKeyDoc>,
    private readonly uses: ValidatedCollection<typeof ApiKeyUseDoc>,
  ) {}

  static async open(store: DocumentStore): Promise<ApiKeyStore> {
    return new ApiKeyStore(
      await ValidatedCollection.open(
        store,
        { name: "portal_api_keys", indexes: [{ fields: ["hash"], unique: true }, { fields: ["createdAt"] }] },
        ApiKeyDoc,
      ),
      await ValidatedCollection.open(
        store,
        { name: "portal_api_key_uses", indexes: [{ fields: ["keyId", "at"] }, { fields: ["at"] }] },
        ApiKeyUseDoc,
      ),
    );
  }

  /** A new key; `secret` is the only time the plaintext exists outside the caller. */
  async create(
    o: { name: string; role: UserRole; expiresAt: string | null; by: string },
    now = Date.now(),
  ): Promise<{ secret: string; doc: ApiKeyDoc }> {
    const prefix = `pk_${randomBytes(6).toString("base64url")}`;
    const secret = `${prefix}_${randomBytes(32).toString("base64url")}`;
    const doc = await this.keys.put({
      id: randomUUID(),
      name: o.name,
      prefix,
      hash: digest(secret),
      role: o.role,
      createdAt: new Date(now),
      createdBy: o.by,
      expiresAt: o.expiresAt,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    });
    return { secret, doc };
  }

  async list(): Promise<ApiKeyDoc[]> {
    return this.keys.find({}, { sort: { createdAt: -1 } });
  }

  async get(id: string): Promise<ApiKeyDoc | undefined> {
    return this.keys.get(id);
  }

  /** Revokes a key (kept, with who and when, for the audit); revoking again changes nothing. */
  async revoke(id: string, by: string, now = Date.now()): Promise<ApiKeyDoc | undefined> {
    const k = await this.keys.get(id);
    if (k === undefined || k.revokedAt !== null) return k;
    return this.keys.put({ ...k, revokedAt: new Date(now), revokedBy: by });
  }

  /** The key a bearer token names, and whether it may be used now. */
  async check(token: string, now = Date.now()): Promise<KeyCheck> {
    if (!API_KEY.test(token)) return { ok: false, reason: "malformed" };
    const [key] = await this.keys.find({ hash: digest(token) }, { limit: 1 });
    if (key === undefined) return { ok: false, reason: "unknown" };
    if (key.revokedAt !== null) return { ok: false, reason: "revoked", key };
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now) return { ok: false, reason: "expired", key };
    return { ok: true, key };
  }

  /** Audits one request made with the key (and moves its last use). */
  async recordUse(
    keyId: string,
    use: { method: string; path: string; status: number; ip: string },
    now = Date.now(),
  ): Promise<void> {
    await this.uses.put({ id: randomUUID(), keyId, ...use, path: use.path.slice(0, 1000), at: new Date(now) });
    const k = await this.keys.get(keyId);
    if (k !== undefined) await this.keys.put({ ...k, lastUsedAt: new Date(now) });
  }

  /** The key's latest uses, newest first. */
  async usesOf(keyId: string, limit: number): Promise<ApiKeyUseDoc[]> {
    return this.uses.find({ keyId }, { sort: { at: -1 }, limit });
  }

  /** Forgets uses older than the retention and, per key, all but the newest `perKey`. */
  async purge(now = Date.now(), perKey = USES_PER_KEY): Promise<void> {
    await this.uses.deleteMany({ at: { $lt: new Date(now - USES_RETENTION_MS).toISOString() } });
    for (const k of await this.keys.find()) {
      const [oldestKept] = await this.uses.find({ keyId: k.id }, { sort: { at: -1 }, skip: perKey - 1, limit: 1 });
      if (oldestKept) await this.uses.deleteMany({ keyId: k.id, at: { $lt: oldestKept.at } });
    }
  }
}
