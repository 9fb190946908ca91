import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, streamEnvelopes, testBus } from "@persona/bus/testing";
import { createLogger } from "@persona/runtime";
import { openStore } from "@persona/store";
import { startNatsServer, waitFor, tempDir } from "@persona/testing";
import { startCleaner } from "./cleaner.ts";
import { configSchema } from "./config.ts";

const log = createLogger("cleaner-test", process.env.LOG_LEVEL ?? "silent");

test("two cleaners: one is active (runs retention on its schedule), both take removal requests; a removal publishes PersonRemoved once", async (t) => {
  await using server = await startNatsServer();
  const dir = tempDir(t, "cleaner-service-");
  const store = await openStore({ url: `sqlite:${join(dir, "persona.db")}` });
  t.after(() => store.close());
  const config = configSchema.parse({ CLEANER_LEASE_SECONDS: "5", CLEANER_HEALTH_INTERVAL_SECONDS: "1" });
  const buses = [await testBus(server.url, "cleaner"), await testBus(server.url, "cleaner")];
  t.after(async () => {
    for (const b of buses) await b.close();
  });
  const cleaners = [
    await startCleaner({ bus: buses[0] as Bus, store, config, log, holder: "one" }),
    await startCleaner({ bus: buses[1] as Bus, store, config, log, holder: "two" }),
  ];
  t.after(async () => {
    for (const c of cleaners) await c.stop();
  });
  const bus = buses[0] as Bus;

  await waitFor(() => cleaners.some((c) => c.lease.held), { message: "a cleaner holds the lease" });
  assert.equal(cleaners.filter((c) => c.lease.held).length, 1, "exactly one active cleaner");
  // the active one runs retention shortly after start and reports it
  const some = <T>(xs: T[]) => (xs.length > 0 ? xs : null);
  const completed = await waitFor(
    async () => some((await streamEnvelopes(bus, "SYSTEM")).filter((e) => e.type === "RetentionRunCompleted")),
    {
      timeoutMs: 15_000,
      message: "a retention run",
    },
  );
  assert.equal(completed.length, 1);
  const active = cleaners.find((c) => c.lease.held);
  assert.ok(active?.lastRetention, "the active cleaner ran it");
  assert.equal(cleaners.find((c) => !c.lease.held)?.lastRetention, null, "the standby did not");

  // a removal request (not an erasure)
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("ann", "Ann")));
  const cmd = bus.envelope("RemovePerson", {
    personId: "ann",
    reason: "left the company",
    requestedBy: "portal:admin",
    erase: false,
  });
  await bus.publish(cmd);
  const removed = await waitFor(
    async () => some((await streamEnvelopes(bus, "LIBRARY")).filter((e) => e.type === "PersonRemoved")),
    {
      message: "PersonRemoved",
    },
  );
  assert.equal(removed.length, 1);
  const r = removed[0];
  assert.ok(r?.type === "PersonRemoved");
  assert.deepEqual(r.data, { personId: "ann", reason: "left the company", by: "portal:admin" });
  assert.equal(r.causationId, cmd.id);
  // removing again: nobody to remove, nothing published, the request is not left pending
  await bus.publish(bus.envelope("RemovePerson", { personId: "ann", reason: "again", requestedBy: "x", erase: false }));
  await waitFor(async () => (await bus.jsm.streams.info("COMMANDS")).state.messages === 0, { message: "commands handled" });
  assert.equal((await streamEnvelopes(bus, "LIBRARY")).filter((e) => e.type === "PersonRemoved").length, 1);
});
