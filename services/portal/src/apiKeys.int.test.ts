import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Answer, type Client, type Harness, call, startHarness, until } from "./testSupport.ts";

let h: Harness;
const base = () => h.portal.url;
let admin: Client;
let operator: Client;

interface Created {
  apiKey: {
    id: string;
    prefix: string;
    role: string;
    expiresAt: string | null;
    revokedAt: string | null;
    lastUsedAt: string | null;
  };
  key: string;
}
type Use = { at: string; method: string; path: string; status: number; ip: string };
const errorCode = (a: Answer) => (a.body as { error: { code: string } }).error.code;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const withKey = (key: string, method: string, path: string, json?: unknown) =>
  call(base(), method, path, { headers: bearer(key), json });
async function createKey(role: string, o: { name?: string; expiresAt?: string | null } = {}): Promise<Created> {
  const r = await call<Created>(base(), "POST", "/api-keys", {
    client: admin,
    json: { name: o.name ?? `${role} script`, role, ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }) },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}
const keysCollection = () => h.store.collection<{ id: string }>({ name: "portal_api_keys" });

before(async () => {
  h = await startHarness();
  [admin, operator] = await h.clients(["opal", "operator"]);
});
after(async () => {
  await h?.dispose();
});

describe("API keys", () => {
  test("only admins create, list and revoke keys; the key is answered once and only its sha256 is stored", async () => {
    const refused = await call(base(), "POST", "/api-keys", { client: operator, json: { name: "x", role: "viewer" } });
    assert.equal(refused.status, 403);
    assert.equal((await call(base(), "GET", "/api-keys", { client: operator })).status, 403);

    const created = await createKey("viewer", { name: "reports" });
    assert.match(created.key, /^pk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/);
    assert.ok(created.key.startsWith(`${created.apiKey.prefix}_`));
    assert.equal(created.apiKey.role, "viewer");
    assert.equal(created.apiKey.expiresAt, null);

    const list = await call<{ items: Record<string, unknown>[] }>(base(), "GET", "/api-keys", { client: admin });
    assert.equal(list.status, 200);
    const row = list.body.items.find((k) => k.id === created.apiKey.id);
    assert.ok(row);
    assert.deepEqual(Object.keys(row).sort(), [
      "createdAt",
      "createdBy",
      "expiresAt",
      "id",
      "lastUsedAt",
      "name",
      "prefix",
      "revokedAt",
      "revokedBy",
      "role",
    ]);
    assert.equal(row.createdBy, "admin");
    const secretPart = created.key.slice(created.apiKey.prefix.length + 1);
    assert.ok(!JSON.stringify(list.body).includes(secretPart), "the list never holds the key");

    // the store: no plaintext key nor its secret part in any document (nor in the audit)
    await withKey(created.key, "GET", "/people");
    for (const name of ["portal_api_keys", "portal_api_key_uses"]) {
      const docs = await (await h.store.collection<{ id: string }>({ name })).find();
      assert.ok(docs.length > 0, name);
      const raw = JSON.stringify(docs);
      assert.ok(!raw.includes(secretPart), `${name} holds no plaintext key`);
    }
    const stored = (await (await keysCollection()).get(created.apiKey.id)) as unknown as { hash: string };
    assert.match(stored.hash, /^[0-9a-f]{64}$/);

    const bad = await call(base(), "POST", "/api-keys", {
      client: admin,
      json: { name: "old", role: "viewer", expiresAt: "2001-01-01T00:00:00Z" },
    });
    assert.equal(bad.status, 400, "an expiry in the past");
  });

  test("a key works wherever a session does, with its role, without CSRF; above its role 403", async () => {
    const viewerKey = (await createKey("viewer")).key;
    assert.equal((await withKey(viewerKey, "GET", "/people")).status, 200);
    const me = await withKey(viewerKey, "GET", "/auth/me");
    assert.equal(me.status, 200);
    assert.equal((me.body as { user: { role: string } }).user.role, "viewer");
    const above = await withKey(viewerKey, "GET", "/users");
    assert.equal(above.status, 403);
    assert.equal(errorCode(above), "forbidden");
    assert.equal((await withKey(viewerKey, "POST", "/alerts/00000000-0000-4000-8000-000000000000/ack", {})).status, 403);

    const operatorKey = (await createKey("operator")).key;
    // state-changing without x-csrf-token: past the role and CSRF checks (404: no such alert)
    const ack = await withKey(operatorKey, "POST", "/alerts/00000000-0000-4000-8000-000000000000/ack", {});
    assert.equal(ack.status, 404, JSON.stringify(ack.body));
    assert.equal((await withKey(operatorKey, "PUT", "/rules", { rules: [] })).status, 403);

    const adminKey = (await createKey("admin")).key;
    const added = await withKey(adminKey, "POST", "/users", {
      username: "by-key",
      role: "viewer",
      password: "by-key-password-1",
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));

    // the key takes precedence over a cookie sent with it
    const both = await call(base(), "GET", "/users", { client: admin, headers: bearer(viewerKey) });
    assert.equal(both.status, 403);
  });

  test("revoked, expired, unknown and malformed keys are 401 with a clear code", async () => {
    const k = await createKey("viewer");
    assert.equal((await withKey(k.key, "GET", "/people")).status, 200);
    assert.equal((await call(base(), "DELETE", `/api-keys/${k.apiKey.id}`, { client: operator })).status, 403);
    const revoked = await call<Created["apiKey"]>(base(), "DELETE", `/api-keys/${k.apiKey.id}`, { client: admin });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    const r = await withKey(k.key, "GET", "/people");
    assert.equal(r.status, 401);
    assert.equal(errorCode(r), "api-key-revoked");
    assert.equal((await call(base(), "DELETE", "/api-keys/00000000-0000-4000-8000-000000000000", { client: admin })).status, 404);

    const soon = await createKey("viewer", { expiresAt: new Date(Date.now() + 1500).toISOString() });
    assert.equal((await withKey(soon.key, "GET", "/people")).status, 200);
    await new Promise((res) => setTimeout(res, 1600));
    const expired = await withKey(soon.key, "GET", "/people");
    assert.equal(expired.status, 401);
    assert.equal(errorCode(expired), "api-key-expired");
    assert.match((expired.body as { error: { message: string } }).error.message, /expired/);

    const unknown = await withKey(`pk_AAAAAAAA_${"A".repeat(43)}`, "GET", "/people");
    assert.equal(unknown.status, 401);
    assert.equal(errorCode(unknown), "api-key-invalid");
    assert.equal(errorCode(await withKey("not-a-key", "GET", "/people")), "api-key-invalid");
  });

  test("every request with a key is audited (method, path, status, time) and moves its last use", async () => {
    const k = await createKey("viewer");
    const t0 = Date.now();
    await withKey(k.key, "GET", "/people?limit=5");
    await withKey(k.key, "GET", "/users");
    await call(base(), "DELETE", `/api-keys/${k.apiKey.id}`, { client: admin });
    await withKey(k.key, "GET", "/presence");
    assert.equal((await call(base(), "GET", `/api-keys/${k.apiKey.id}/uses`, { client: operator })).status, 403);
    const uses = await until("three audited uses", async () => {
      const r = await call<{ items: Use[] }>(base(), "GET", `/api-keys/${k.apiKey.id}/uses`, { client: admin });
      return r.body.items.length >= 3 ? r.body.items : null;
    });
    assert.deepEqual(
      uses.map((u) => [u.method, u.path, u.status]),
      [
        ["GET", "/api/v1/presence", 401],
        ["GET", "/api/v1/users", 403],
        ["GET", "/api/v1/people", 200],
      ],
    );
    for (const u of uses) {
      assert.ok(Date.parse(u.at) >= t0 - 1000 && Date.parse(u.at) <= Date.now());
      assert.ok(u.ip.length > 0);
    }
    const list = await call<{ items: Created["apiKey"][] }>(base(), "GET", "/api-keys", { client: admin });
    const row = list.body.items.find((x) => x.id === k.apiKey.id);
    assert.ok(row?.lastUsedAt && Date.parse(row.lastUsedAt) >= t0 - 1000);
    // a session's requests are not audited as a key's
    const other = await createKey("viewer");
    await call(base(), "GET", "/people", { client: admin });
    const none = await call<{ items: Use[] }>(base(), "GET", `/api-keys/${other.apiKey.id}/uses`, { client: admin });
    assert.deepEqual(none.body.items, []);
  });

  test("the routes are in the OpenAPI document with the bearer scheme", async () => {
    const r = await call<{
      paths: Record<string, Record<string, { "x-role": string }>>;
      components: { securitySchemes: object };
    }>(base(), "GET", "/openapi.json");
    for (const [p, m] of [
      ["/api/v1/api-keys", "get"],
      ["/api/v1/api-keys", "post"],
      ["/api/v1/api-keys/{id}", "delete"],
      ["/api/v1/api-keys/{id}/uses", "get"],
    ] as const) {
      assert.equal(r.body.paths[p]?.[m]?.["x-role"], "admin", `${m} ${p}`);
    }
    assert.ok("apiKey" in r.body.components.securitySchemes);
  });

  test("failed bearer attempts lock the client IP like failed logins (429, then even a good key)", async () => {
    const good = (await createKey("viewer")).key;
    // the failures of the tests above count too (the same IP, within the window)
    await h.restart({ loginLimits: { maxFailures: 5, maxFailuresPerIp: 4, windowMs: 60_000, lockMs: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await withKey(`pk_BBBBBBBB_${String(i).padEnd(43, "x")}`, "GET", "/people")).status);
    assert.ok(statuses.includes(429), statuses.join(","));
    assert.ok(statuses.indexOf(429) <= 4, statuses.join(","));
    const locked = await withKey(good, "GET", "/people");
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) > 0);
  });
});
