import assert from "node:assert/strict";
import { test } from "node:test";
import { startNatsServer } from "@persona/testing";
import { testBus } from "../test/helpers.ts";
import { Lease } from "./lease.ts";

test("lease: one holder at a time; it passes on when the holder stops renewing or releases it", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "cleaner");
  t.after(() => bus.close());
  const kv = await bus.kv("leases");
  let now = 1_000_000;
  const a = new Lease(kv, { key: "cleaner", holder: "a", ttlMs: 60_000, now: () => now });
  const b = new Lease(kv, { key: "cleaner", holder: "b", ttlMs: 60_000, now: () => now });
  assert.equal(await a.acquire(), true);
  assert.equal(await b.acquire(), false);
  now += 30_000;
  assert.equal(await a.acquire(), true, "the holder renews");
  now += 59_000;
  assert.equal(await b.acquire(), false, "renewed: still a's");
  assert.equal(a.held, true);
  now += 2_000;
  assert.equal(a.held, false, "a did not renew in time: it no longer counts itself the holder");
  assert.equal(await b.acquire(), true, "expired: b takes it");
  assert.equal(await a.acquire(), false);
  await b.release();
  assert.equal(await a.acquire(), true, "released: a takes it at once");
  // two takers racing for a free lease: exactly one wins
  await a.release();
  const results = await Promise.all([a.acquire(), b.acquire()]);
  assert.equal(results.filter(Boolean).length, 1);
});
