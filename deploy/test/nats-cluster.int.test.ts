// The 3-server loopback cluster behind the clustered-JetStream test, checked on its own: the topology step places every
// stream at 3 replicas, raises a stream created at 1 replica on one server to 3 in place (a site growing from one
// machine to a cluster), and a stream survives its leader's SIGKILL with every acknowledged message, the killed server
// catching up when it returns.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { Bus, ensureStream } from "@persona/bus";
import { STREAMS } from "@persona/contracts";
import { ServiceMetrics, createLogger } from "@persona/runtime";
import { NATS_SERVER_BIN, startNatsCluster, waitFor } from "@persona/testing";

const skip = existsSync(NATS_SERVER_BIN) ? undefined : `nats-server not found at ${NATS_SERVER_BIN}`;
const log = createLogger("cluster-int", process.env.LOG_LEVEL ?? "silent");
const busOn = (url: string, replicas: number) =>
  Bus.connect({ url, service: "cluster-int", log, metrics: new ServiceMetrics("cluster-int"), replicas, publishRetryMs: 30_000 });

test("R1 streams are raised to R3 in place; an R3 stream keeps every acknowledged message through its leader's SIGKILL", {
  skip,
  timeout: 120_000,
}, async (t) => {
  await using cluster = await startNatsCluster();
  assert.equal(cluster.servers.length, 3);
  assert.equal(cluster.url.split(",").length, 3);

  // a site that ran on one server: SYSTEM exists at 1 replica
  const one = await busOn(cluster.url, 1);
  t.after(() => one.close());
  const system = STREAMS.find((s) => s.name === "SYSTEM");
  assert.ok(system);
  await ensureStream(one.jsm, system, { replicas: 1 }, log);
  assert.equal((await one.jsm.streams.info("SYSTEM")).config.num_replicas, 1);

  // the cluster's services start with NATS_REPLICAS=3: every stream at 3, SYSTEM raised in place
  const bus = await busOn(cluster.url, 3);
  t.after(() => bus.close());
  await bus.applyTopology();
  for (const s of STREAMS) assert.equal((await bus.jsm.streams.info(s.name)).config.num_replicas, 3, s.name);

  const publish = async (from: number, n: number) => {
    for (let i = from; i < from + n; i++) {
      await bus.publish(
        bus.envelope(
          "CameraStatusChanged",
          { cameraId: "c1", role: "entrance", status: "live", message: `#${i}`, attempt: 0, source: "rtsp://c1/stream" },
          {
            id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          },
        ),
      );
    }
  };
  await publish(0, 100);
  const before = await bus.jsm.streams.info("SYSTEM");
  const leader = before.cluster?.leader;
  assert.ok(leader);
  const killed = cluster.server(leader);
  await killed.kill();
  // publishing goes on while the survivors elect a leader
  await publish(100, 100);
  const after = await waitFor(
    async () => {
      const i = await bus.jsm.streams.info("SYSTEM").catch(() => undefined);
      return i?.cluster?.leader && i.cluster.leader !== leader ? i : undefined;
    },
    { timeoutMs: 30_000, message: "a new leader" },
  );
  assert.equal(after.state.messages, 200, "every acknowledged message is on the survivors");
  // a retried publish of an already stored message is dropped by the dedupe window, across the leader change
  await publish(150, 10);
  assert.equal((await bus.jsm.streams.info("SYSTEM")).state.messages, 200);

  await killed.restart();
  await waitFor(
    async () => {
      const i = await bus.jsm.streams.info("SYSTEM").catch(() => undefined);
      const peer = i?.cluster?.replicas?.find((p) => p.name === leader);
      return peer?.current && !peer.offline;
    },
    { timeoutMs: 60_000, intervalMs: 250, message: `${leader} caught up` },
  );
  t.diagnostic(`SYSTEM leader ${leader} killed after 100 messages; ${after.cluster?.leader} elected; ${leader} rejoined current`);
});
