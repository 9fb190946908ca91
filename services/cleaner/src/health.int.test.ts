import assert from "node:assert/strict";
import { test } from "node:test";
import { type Bus, ok } from "@persona/bus";
import { streamEnvelopes, testBus } from "@persona/bus/testing";
import { createLogger } from "@persona/runtime";
import { startNatsServer, waitFor } from "@persona/testing";
import { HealthMonitor } from "./health.ts";
import { concluded } from "./testing/events.ts";

const log = createLogger("cleaner-health-test", process.env.LOG_LEVEL ?? "silent");
const options = { pendingThreshold: 2, redeliveredThreshold: 10, consecutive: 2 };

const alertsOf = (bus: Bus) => streamEnvelopes(bus, "ALERTS", "AlertRaised", "AlertResolved");

test("health: a stuck consumer whose backlog grows raises one system alert, resolved once it drains; a new episode alerts again", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "cleaner");
  t.after(() => bus.close());
  // a durable nobody pulls from
  const stuck = {
    stream: "SIGHTINGS",
    durable: "stuck-reader",
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 100,
    description: "test",
  } as const;
  await bus.ensureConsumer(stuck);
  const monitor = new HealthMonitor(bus, await bus.kv("leases"), options, Date.now, log);
  const publish = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const at = new Date().toISOString();
      await bus.publish(concluded(bus, "gate", `t${crypto.randomUUID().slice(0, 8)}`, at, at, null));
    }
  };

  await publish(3);
  let r = await monitor.check();
  assert.equal(r.consumers.find((c) => c.durable === "stuck-reader")?.numPending, 3);
  assert.deepEqual(r.raised, [], "one check over the threshold is not yet an alert");
  await publish(2);
  r = await monitor.check();
  assert.equal(r.raised.length, 1, "the second consecutive check raises");
  assert.match(r.raised[0]?.message ?? "", /SIGHTINGS\/stuck-reader is not keeping up: 5 messages waiting/);
  await publish(2);
  r = await monitor.check();
  assert.deepEqual(r.raised, [], "still stuck: no second alert");

  let alerts = await alertsOf(bus);
  assert.equal(alerts.length, 1);
  const raised = alerts[0];
  assert.ok(raised?.type === "AlertRaised");
  assert.equal(raised.data.kind, "system");
  assert.equal(raised.data.rule, "consumer-backlog");
  assert.equal(raised.data.personId, null);

  // it drains: after two clear checks the alert is resolved
  const reader = await bus.consume({ consumer: stuck, handlers: { TrackConcluded: async () => ok() } });
  await waitFor(async () => {
    const i = await bus.jsm.consumers.info("SIGHTINGS", "stuck-reader");
    return i.num_pending === 0 && i.num_ack_pending === 0;
  });
  await reader.stop();
  await new Promise((res) => setTimeout(res, 200));
  r = await monitor.check();
  assert.deepEqual(r.resolved, []);
  r = await monitor.check();
  assert.equal(r.resolved.length, 1);
  alerts = await alertsOf(bus);
  assert.deepEqual(
    alerts.map((a) => a.type),
    ["AlertRaised", "AlertResolved"],
  );
  assert.equal(alerts[1]?.data.alertId, raised.data.alertId);

  // stuck again: a new alert
  await publish(3);
  await monitor.check();
  await publish(1);
  r = await monitor.check();
  assert.equal(r.raised.length, 1);
  assert.notEqual(r.raised[0]?.alertId, raised.data.alertId);
});

test("health: a dead letter raises one alert at once; more on the same consumer while it holds raise none; a restarted monitor does not repeat it", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "cleaner");
  t.after(() => bus.close());
  const kv = await bus.kv("leases");
  const monitor = new HealthMonitor(bus, kv, options, Date.now, log);
  let r = await monitor.check();
  assert.deepEqual(r.raised, []);

  let seq = 1;
  const deadLetter = () =>
    bus.publish(
      bus.envelope("MessageDeadLettered", {
        stream: "SIGHTINGS",
        consumer: "greeter",
        subject: "sightings.gate.recognized",
        streamSeq: seq++,
        deliveries: 5,
        reason: "handler threw: boom",
        payloadBase64: Buffer.from("{}").toString("base64"),
        truncated: false,
      }),
    );
  await deadLetter();
  r = await monitor.check();
  assert.equal(r.raised.length, 1);
  assert.match(r.raised[0]?.message ?? "", /SIGHTINGS\/greeter were dead-lettered/);
  await deadLetter();
  r = await monitor.check();
  assert.deepEqual(r.raised, [], "the same condition still holds: no second alert");

  // a restarted cleaner picks the state up from the KV bucket
  const restarted = new HealthMonitor(bus, kv, options, Date.now, log);
  r = await restarted.check();
  assert.deepEqual(r.raised, []);
  r = await restarted.check();
  assert.equal(r.resolved.length, 1, "two checks without new dead letters resolve it");
  const alerts = await alertsOf(bus);
  assert.deepEqual(
    alerts.map((a) => a.type),
    ["AlertRaised", "AlertResolved"],
  );
  assert.equal(alerts[0]?.type === "AlertRaised" && alerts[0].data.rule, "dead-letters");

  // a new dead letter after it cleared is a new alert
  await deadLetter();
  r = await restarted.check();
  assert.equal(r.raised.length, 1);
});
