import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { openStore } from "@persona/store";
import { startNatsServer, waitFor, tempDir } from "@persona/testing";
import { testBus, trackEnded } from "../test/helpers.ts";

const WORKER = new URL("../test/projection-worker.ts", import.meta.url).pathname;
const EVENTS = 10_000;

interface Worker {
  proc: ChildProcess;
  applied: Set<string>;
  skipped: Set<string>;
  ready: Promise<void>;
}

function startWorker(url: string, db: string, name: string): Worker {
  const proc = spawn(process.execPath, ["--import", "tsx", WORKER, url, db, name], { stdio: ["ignore", "pipe", "inherit"] });
  const w: Worker = { proc, applied: new Set(), skipped: new Set(), ready: Promise.resolve() };
  let readyResolve: () => void = () => {};
  w.ready = new Promise((r) => {
    readyResolve = r;
  });
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    if (line === "ready") return readyResolve();
    const [result, id] = line.split(" ");
    if (result === "applied" && id) w.applied.add(id);
    else if (result === "skipped" && id) w.skipped.add(id);
  });
  return w;
}

test("10,000 events through two workers of one durable consumer reach the projection exactly once, also when a worker is killed mid-run", async (t) => {
  await using server = await startNatsServer();
  const dir = tempDir(t, "persona-eo-");
  const db = join(dir, "projection.db");
  const bus = await testBus(server.url, "publisher");
  t.after(() => bus.close());

  const a = startWorker(server.url, db, "a");
  const b = startWorker(server.url, db, "b");
  await Promise.all([a.ready, b.ready]);

  const ids: string[] = [];
  const publishAll = async () => {
    for (let i = 0; i < EVENTS; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => {
          const env = bus.envelope("FaceTrackEnded", trackEnded("cam", `t${i + j}`));
          ids.push(env.id);
          return bus.publish(env);
        }),
      );
    }
  };
  const publishing = publishAll();
  // kill worker a abruptly once it has done some work, while messages are in flight
  await waitFor(() => a.applied.size > 1500, { timeoutMs: 60_000, message: "worker a made progress" });
  a.proc.kill("SIGKILL");
  await new Promise((r) => a.proc.once("exit", r));
  const killedAt = a.applied.size;
  await publishing;

  // worker b takes over the redelivered messages (ack wait 2 s in the worker's consumer)
  // done when the work queue is drained: nothing pending, nothing waiting for an ack
  let consumerState = "";
  await waitFor(
    async () => {
      const i = await bus.jsm.consumers.info("DETECTIONS", "recognizers");
      consumerState = `pending ${i.num_pending}, ack pending ${i.num_ack_pending}, redelivered ${i.num_redelivered}`;
      return i.num_pending === 0 && i.num_ack_pending === 0 && (await bus.jsm.streams.info("DETECTIONS")).state.messages === 0;
    },
    { timeoutMs: 180_000, intervalMs: 500, message: () => `work queue drained (consumer: ${consumerState})` },
  );

  b.proc.kill("SIGTERM");
  await new Promise((r) => b.proc.once("exit", r));

  const store = await openStore({ url: `sqlite:${db}` });
  t.after(() => store.close());
  const tracks = await store.collection({ name: "tracks" });
  assert.equal(await tracks.count(), EVENTS, "every event is in the projection");
  for (const id of b.applied) assert.equal(a.applied.has(id), false, `event ${id} applied by both workers`);
  const handled = new Set([...a.applied, ...b.applied, ...b.skipped]);
  assert.deepEqual([...handled].sort(), [...ids].sort(), "every event was handled");
  // a worker killed between its commit and its report line loses the line, never the write: those events come
  // back to b as redeliveries that applyOnce skips
  const unreported = EVENTS - a.applied.size - b.applied.size;
  assert.ok(unreported >= 0 && unreported <= b.skipped.size, `${unreported} events applied without a report line`);
  t.diagnostic(
    `worker a applied ${killedAt} before SIGKILL; b applied ${b.applied.size}; b skipped ${b.skipped.size} redelivered duplicates (${unreported} applied by a just before the kill)`,
  );
});
