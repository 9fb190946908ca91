import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AnyEnvelopeSchema, CONSUMERS, type ConsumerDecl, STREAMS, makeEnvelope } from "@persona/contracts";
import { type NatsServerHandle, startNatsServer, waitFor } from "@persona/testing";
import { headers } from "@nats-io/transport-node";
import type { Bus } from "./bus.ts";
import { WrongLastSequenceError } from "./errors.ts";
import { ok, retry } from "./outcome.ts";
import { cameraLive, streamEnvelopes, testBus, trackEnded } from "../test/helpers.ts";

const decl = (durable: string, extra: Partial<ConsumerDecl> = {}): ConsumerDecl => ({
  stream: "SYSTEM",
  durable,
  filterSubject: "system.camera.*.status",
  ackWaitMs: 2000,
  maxDeliver: 3,
  maxAckPending: 100,
  description: "test",
  ...extra,
});

const cameraStatus = (cameraId: string, attempt = 0) => cameraLive(cameraId, { attempt });

const deadLetters = (bus: Bus) => streamEnvelopes(bus, "DEADLETTER");

describe("bus against a real nats-server", () => {
  let server: NatsServerHandle;
  let bus: Bus;
  before(async () => {
    server = await startNatsServer();
    bus = await testBus(server.url);
  });
  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test("a publish with an expected last subject sequence: 0 on an empty subject, then the last one; a stale one is refused, not retried", async () => {
    await bus.applyTopology();
    const group = (name: string) =>
      bus.envelope("GroupCreated", { groupId: "occ-test", name, by: "t" }) as ReturnType<typeof bus.envelope<"GroupCreated">>;
    const first = await bus.publish(group("A"), { expectLastSubjectSeq: 0 });
    await assert.rejects(bus.publish(group("B"), { expectLastSubjectSeq: 0 }), WrongLastSequenceError);
    const second = await bus.publish(group("C"), { expectLastSubjectSeq: first.seq });
    assert.ok(second.seq > first.seq);
    const started = Date.now();
    await assert.rejects(bus.publish(group("D"), { expectLastSubjectSeq: first.seq }), WrongLastSequenceError);
    assert.ok(Date.now() - started < 2000, "a conflict is not retried through the publish deadline");
  });

  test("topology is applied idempotently with the declared limits", async () => {
    await bus.applyTopology();
    await bus.applyTopology();
    for (const s of STREAMS) {
      const info = await bus.jsm.streams.info(s.name);
      assert.deepEqual(info.config.subjects, s.subjects);
      assert.equal(info.config.duplicate_window, s.duplicateWindowNs);
      assert.equal(info.config.max_age, s.maxAgeNs);
    }
    for (const c of CONSUMERS) {
      const info = await bus.jsm.consumers.info(c.stream, c.durable);
      assert.equal(info.config.max_deliver, c.maxDeliver);
    }
    assert.ok((await bus.readiness()).ok);
  });

  test("readiness follows the live loops: a loop stopped on purpose and started again (a lease handed back and taken) is ready", async () => {
    const start = () =>
      bus.consume({
        consumer: decl("ready-test", { filterSubject: "system.camera.ready.status" }),
        handlers: { CameraStatusChanged: async () => ok() },
      });
    const first = await start();
    assert.ok((await bus.readiness()).ok);
    await first.stop();
    assert.ok((await bus.readiness()).ok, "a loop stopped on purpose does not fail readiness");
    const second = await start();
    assert.ok((await bus.readiness()).ok, (await bus.readiness()).detail);
    await second.stop();
    assert.ok((await bus.readiness()).ok);
  });

  test("publishing the same envelope twice stores it once (msgID dedupe)", async () => {
    const env = bus.envelope("CameraStatusChanged", cameraStatus("dedupe"));
    const a = await bus.publish(env);
    const b = await bus.publish(env);
    assert.equal(a.duplicate, false);
    assert.equal(b.duplicate, true);
    assert.equal(a.seq, b.seq);
  });

  test("a malformed event is dead-lettered once with its reason and never blocks the consumer", async () => {
    const handled: string[] = [];
    const loop = await bus.consume({
      consumer: decl("poison-test", { filterSubject: "system.camera.poison.status" }),
      concurrency: 1,
      handlers: {
        CameraStatusChanged: async (env) => {
          handled.push(env.data.message);
          return ok();
        },
      },
    });
    const good = (n: number) => bus.envelope("CameraStatusChanged", { ...cameraStatus("poison"), message: `good-${n}` });
    await bus.publish(good(1));
    // not JSON at all
    await bus.js.publish("system.camera.poison.status", new TextEncoder().encode("{not json"));
    // JSON that fails its schema (status value unknown)
    const bad = { ...good(99), data: { ...good(99).data, status: "exploded" } };
    await bus.js.publish("system.camera.poison.status", new TextEncoder().encode(JSON.stringify(bad)), { headers: headers() });
    await bus.publish(good(2));
    await waitFor(() => handled.length === 2, { message: "both good messages handled" });
    assert.deepEqual(handled, ["good-1", "good-2"]);
    const dls = await waitFor(async () => {
      const d = (await deadLetters(bus)).filter((e) => e.type === "MessageDeadLettered" && e.data.consumer === "poison-test");
      return d.length >= 2 ? d : undefined;
    });
    await sleep(2500); // longer than ack wait: a terminated message must not come back
    const again = (await deadLetters(bus)).filter((e) => e.type === "MessageDeadLettered" && e.data.consumer === "poison-test");
    assert.equal(again.length, 2, "each poison message is recorded exactly once");
    const reasons = dls.map((d) => (d.type === "MessageDeadLettered" ? d.data.reason : "")).sort();
    assert.match(reasons[0] ?? "", /^not JSON/);
    assert.match(reasons[1] ?? "", /^schema: data\.status/);
    assert.deepEqual(handled, ["good-1", "good-2"], "poison was never handed to the handler");
    const info = await bus.jsm.consumers.info("SYSTEM", "poison-test");
    assert.equal(info.num_ack_pending, 0);
    await loop.stop();
  });

  test("a message that keeps failing is retried up to max deliveries, then dead-lettered as exhausted", async () => {
    let attempts = 0;
    const loop = await bus.consume({
      consumer: decl("retry-test", { filterSubject: "system.camera.flaky.status" }),
      handlers: {
        CameraStatusChanged: async () => {
          attempts++;
          return retry("database down", 50);
        },
      },
    });
    const env = bus.envelope("CameraStatusChanged", cameraStatus("flaky"));
    await bus.publish(env);
    const dl = await waitFor(async () =>
      (await deadLetters(bus)).find((e) => e.type === "MessageDeadLettered" && e.data.consumer === "retry-test"),
    );
    assert.equal(attempts, 3);
    assert.ok(dl.type === "MessageDeadLettered");
    assert.match(dl.data.reason, /^exhausted after 3 deliveries: database down/);
    assert.equal(AnyEnvelopeSchema.parse(JSON.parse(Buffer.from(dl.data.payloadBase64, "base64").toString())).id, env.id);
    await loop.stop();
  });

  test("a thrown handler error is retried with backoff and succeeds when the cause goes away", async () => {
    let calls = 0;
    const loop = await bus.consume({
      consumer: decl("throw-test", { filterSubject: "system.camera.throws.status" }),
      handlers: {
        CameraStatusChanged: async () => {
          calls++;
          if (calls < 2) throw new Error("transient");
          return ok();
        },
      },
    });
    await bus.publish(bus.envelope("CameraStatusChanged", cameraStatus("throws")));
    await waitFor(() => calls === 2);
    await waitFor(async () => (await bus.jsm.consumers.info("SYSTEM", "throw-test")).num_ack_pending === 0);
    await loop.stop();
  });

  test("bounded concurrency: never more handlers in flight than asked", async () => {
    let now = 0;
    let peak = 0;
    let done = 0;
    const loop = await bus.consume({
      consumer: decl("concurrency-test", { filterSubject: "system.camera.conc.status" }),
      concurrency: 3,
      handlers: {
        CameraStatusChanged: async () => {
          now++;
          peak = Math.max(peak, now);
          await sleep(20);
          now--;
          done++;
          return ok();
        },
      },
    });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => bus.publish(bus.envelope("CameraStatusChanged", cameraStatus("conc", i)))),
    );
    await waitFor(() => done === 30);
    assert.equal(peak, 3);
    await loop.stop();
  });

  test("the envelope's correlation is kept by a caused message", () => {
    const parent = makeEnvelope("FaceTrackEnded", trackEnded("c", "t"), { source: "camera" });
    const child = bus.envelope("CameraStatusChanged", cameraStatus("c"), {
      correlationId: parent.correlationId,
      causationId: parent.id,
    });
    assert.equal(child.correlationId, parent.id);
    assert.equal(child.causationId, parent.id);
  });
});

test("replay and follow: a filter with nothing on it returns at once, a feed closes unread, a replay stops at the last message", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "follow-test");
  t.after(() => bus.close());
  await bus.applyTopology();
  for (const d of ["a", "b"]) {
    await bus.publish(bus.envelope("PersonUpdated", { personId: "ann", by: "test", description: d }));
  }
  await bus.publish(bus.envelope("PersonUpdated", { personId: "bob", by: "test", description: "c" }));
  const seen: string[] = [];
  const r = await bus.replay({ stream: "LIBRARY", filter: "library.ann.>", timeoutMs: 5000 }, (d) => {
    if (d.env?.type === "PersonUpdated") seen.push(d.env.data.description ?? "");
  });
  assert.deepEqual(seen, ["a", "b"]);
  assert.deepEqual(r, { last: 2, count: 2 });
  // nothing on this filter although the stream holds messages: the replay must not wait (it used to hang)
  const empty = await Promise.race([
    bus.replay({ stream: "LIBRARY", filter: "library.nobody.>" }, () => assert.fail("nothing to visit")),
    new Promise((resolve) => setTimeout(() => resolve("hung"), 5000)),
  ]);
  assert.deepEqual(empty, { last: 0, count: 0 });
  const feed = await bus.follow({ stream: "LIBRARY", from: "new" });
  assert.equal(feed.pendingAtStart, 0);
  const closed = await Promise.race([feed.close().then(() => "closed"), new Promise((r) => setTimeout(() => r("hung"), 5000))]);
  assert.equal(closed, "closed");
  assert.equal((await bus.first({ stream: "LIBRARY", filter: "library.bob.>" }))?.seq, 3);
  assert.equal(await bus.first({ stream: "LIBRARY", filter: "library.nobody.>" }), null);
});
