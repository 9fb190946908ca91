/**
 * Password spraying (one password tried on many usernames from one client) is throttled per client IP, and behind
 * an ingress (trust proxy) the client is the forwarded address, not the ingress's, so one attacker does not lock out
 * everyone. Its own portal: the lock lasts 15 minutes and would refuse the other tests' logins from this machine.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN, type Harness, call, startHarness } from "./testSupport.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ trustProxy: 1 });
});
after(async () => {
  await h?.dispose();
});

const from = (ip: string) => ({ "x-forwarded-for": ip });

test("30 usernames with one password from one client: 401s, then 429 for that client only; API answers are never cached", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await call(h.portal.url, "POST", "/auth/login", {
      json: { username: `user-${i}`, password: "Summer2026!" },
      headers: from("203.0.113.7"),
    });
    statuses.push(r.status);
  }
  const firstLocked = statuses.indexOf(429);
  assert.ok(firstLocked > 0 && firstLocked <= 21, `locked after ${firstLocked} failures: ${statuses.join(" ")}`);
  assert.ok(
    statuses.slice(firstLocked).every((s) => s === 429),
    "locked until the window ends",
  );
  const retry = await call(h.portal.url, "POST", "/auth/login", { json: ADMIN, headers: from("203.0.113.7") });
  assert.equal(retry.status, 429, "even the right password from that client");
  assert.ok(Number(retry.headers.get("retry-after")) > 0);
  // another client behind the same ingress is not locked out
  const other = await call(h.portal.url, "POST", "/auth/login", { json: ADMIN, headers: from("198.51.100.4") });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  assert.equal(other.headers.get("cache-control"), "no-store");
  const me = await call(h.portal.url, "GET", "/auth/me", { headers: from("198.51.100.4") });
  assert.equal(me.headers.get("cache-control"), "no-store");
});
