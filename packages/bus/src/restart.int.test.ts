import assert from "node:assert/strict";
import { test } from "node:test";
import { startNatsServer, waitFor } from "@persona/testing";
import { ok } from "./outcome.ts";
import { testBus, trackEnded } from "../test/helpers.ts";

test("a restarting nats-server: the service reconnects and carries on, nothing acknowledged is lost", async (t) => {
  await using server = await startNatsServer();
  const publisher = await testBus(server.url, "camera");
  const worker = await testBus(server.url, "recognizer");
  t.after(async () => {
    await worker.close();
    await publisher.close();
  });
  const seen = new Set<string>();
  await worker.consume({
    consumer: {
      stream: "DETECTIONS",
      durable: "recognizers",
      ackWaitMs: 2000,
      maxDeliver: 20,
      maxAckPending: 256,
      description: "t",
    },
    concurrency: 4,
    handlers: {
      FaceTrackEnded: async (env) => {
        seen.add(env.id);
        return ok();
      },
    },
  });

  const acked: string[] = [];
  const publishBatch = async (from: number, n: number) => {
    for (let i = from; i < from + n; i++) {
      const env = publisher.envelope("FaceTrackEnded", trackEnded("cam", `t${i}`));
      await publisher.publish(env); // retries through the outage; resolves only when the server stored it
      acked.push(env.id);
    }
  };

  await publishBatch(0, 200);
  await waitFor(() => seen.size === 200, { message: () => `first batch handled (${seen.size})` });

  // while the server is down, readiness says so at once (a prober's 2 s timeout must not mistake it for a dead service)
  await server.stop();
  const t0 = performance.now();
  const down = await worker.readiness();
  const ms = performance.now() - t0;
  assert.equal(down.ok, false);
  assert.ok(ms < 1500, `readiness answered in ${ms.toFixed(0)} ms during the outage`);
  await server.restart();

  // restart the server while publishing continues
  const during = publishBatch(200, 300);
  await server.restart();
  await during;
  await publishBatch(500, 100);

  await waitFor(() => acked.every((id) => seen.has(id)), {
    timeoutMs: 60_000,
    message: () => `all ${acked.length} acknowledged events handled (seen ${seen.size})`,
  });
  assert.equal(acked.length, 600);
  assert.ok((await worker.readiness()).ok, "the worker reports ready again");
  const info = await waitFor(async () => {
    const i = await worker.jsm.consumers.info("DETECTIONS", "recognizers");
    return i.num_pending === 0 && i.num_ack_pending === 0 ? i : undefined;
  });
  assert.equal(info.num_pending, 0);
});
