import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminPassword, LoginLimiter } from "./access.ts";

test("the admin password: only the exact password verifies (scrypt hash, constant-time compare)", async () => {
  const p = await AdminPassword.fromPlain("correct horse battery staple");
  assert.equal(await p.verify("correct horse battery staple"), true);
  assert.equal(await p.verify("correct horse battery stapl"), false);
  assert.equal(await p.verify("Correct horse battery staple"), false);
  assert.equal(await p.verify(""), false);
  assert.equal(await p.verify("correct horse battery staple "), false);
  // composed and decomposed forms of the same text are the same password
  const u = await AdminPassword.fromPlain("pässwort-123");
  assert.equal(await u.verify("pa\u0308sswort-123"), true);
  assert.ok(!JSON.stringify(p).includes("correct"), "the plain text is not kept");
});

test("login limiter: failures within the window lock the chat out for the lockout time, per chat", () => {
  const l = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, lockoutMs: 600_000 });
  const t0 = 1_000_000;
  assert.deepEqual(l.check(1, t0), { allowed: true });
  assert.equal(l.remaining(1, t0), 3);
  assert.deepEqual(l.failed(1, t0), { allowed: true });
  assert.deepEqual(l.failed(1, t0 + 1000), { allowed: true });
  assert.equal(l.remaining(1, t0 + 1000), 1);
  assert.deepEqual(l.failed(1, t0 + 2000), { allowed: false, retryAfterMs: 600_000 });
  assert.deepEqual(l.check(1, t0 + 2000 + 599_999), { allowed: false, retryAfterMs: 1 });
  assert.deepEqual(l.check(2, t0 + 3000), { allowed: true }, "another chat is not locked");
  assert.deepEqual(l.check(1, t0 + 2000 + 600_000), { allowed: true });
  assert.equal(l.remaining(1, t0 + 2000 + 600_000), 3, "a lockout starts a fresh count");
});

test("login limiter: failures spread beyond the window do not add up; a success forgets them", () => {
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 10_000, lockoutMs: 60_000 });
  l.failed(7, 0);
  assert.deepEqual(l.failed(7, 10_000), { allowed: true }, "the first failure left the window");
  l.succeeded(7);
  assert.equal(l.remaining(7, 10_001), 2);
  l.failed(7, 20_000);
  assert.deepEqual(l.failed(7, 20_001), { allowed: false, retryAfterMs: 60_000 });
});
