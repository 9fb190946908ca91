// The clustered-JetStream proof behind deploy/k8s: three real nats-server processes with routes on loopback, the
// topology applied at 3 replicas (what NATS_REPLICAS=3 does in the cluster), the real pipeline (a camera running a
// clip, the real recognizer, the portal's projections on SQLite), and the stream leaders SIGKILLed while the camera
// publishes. Every detection the cluster acknowledged must end in exactly one outcome on SIGHTINGS and exactly one
// sighting in the projections.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Bus } from "@persona/bus";
import { type AnyEnvelope, AnyEnvelopeSchema, CONSUMERS, KV_BUCKETS, STREAMS } from "@persona/contracts";
import { ServiceMetrics, createLogger, datasetsDir } from "@persona/runtime";
import { configSchema as cameraConfig, startCameraService } from "@persona/service-camera";
import { startProjections } from "@persona/service-portal/projections";
import { configSchema as recognizerConfig, startRecognizer } from "@persona/service-recognizer";
import { SightingsRepository, openStore } from "@persona/store";
import { NATS_SERVER_BIN, type NatsServerHandle, startNatsCluster, waitFor, tempDir } from "@persona/testing";
import { resolveModelPath } from "@persona/vision";

const clip = join(datasetsDir(), "videos", "clm_multi_face.avi");
const skip = !existsSync(NATS_SERVER_BIN)
  ? `nats-server not found at ${NATS_SERVER_BIN}`
  : !existsSync(clip)
    ? `video not found at ${clip} (set PERSONA_DATASETS)`
    : !existsSync(resolveModelPath("dlib-resnet29.onnx"))
      ? "models not built (run make models)"
      : undefined;
if (skip) console.log(`# skipping the clustered JetStream test: ${skip}`);

const OUTCOMES = new Set(["FaceRecognized", "UnknownFaceSeen"]);

/** A JetStream management call that may land in a leader election or on a reconnecting connection: retried. */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      await sleep(250);
    }
  }
}

test("a 3-server JetStream cluster with R3 streams loses and duplicates nothing when stream leaders are SIGKILLed mid-run", {
  skip,
  timeout: 240_000,
}, async (t) => {
  await using cluster = await startNatsCluster();
  const log = createLogger("cluster-test", process.env.LOG_LEVEL ?? "silent");
  // every client gets all three URLs, as NATS_URL does in deploy/k8s (nats-0..2 behind the headless service)
  const connect = (service: string) =>
    Bus.connect({
      url: cluster.url,
      service,
      log: log.child({ bus: service }),
      metrics: new ServiceMetrics(service),
      replicas: 3,
      publishRetryMs: 60_000,
    });
  const admin = await connect("deploy-test");
  t.after(() => admin.close());
  await admin.applyTopology();

  // the topology step made every stream, shared consumer and KV bucket R3, spread over the three servers
  for (const s of STREAMS) {
    const info = await admin.jsm.streams.info(s.name);
    assert.equal(info.config.num_replicas, 3, `stream ${s.name} replicas`);
    assert.equal((info.cluster?.replicas ?? []).length, 2, `stream ${s.name} has two followers`);
  }
  for (const c of CONSUMERS) {
    const info = await admin.jsm.consumers.info(c.stream, c.durable);
    assert.equal((info.cluster?.replicas ?? []).length, 2, `consumer ${c.stream}/${c.durable} has two followers`);
  }
  for (const b of KV_BUCKETS) assert.equal((await admin.jsm.streams.info(`KV_${b.bucket}`)).config.num_replicas, 3);

  const dir = tempDir(t, "persona-cluster-");
  const store = await openStore({ url: `sqlite:${join(dir, "portal.db")}` });
  t.after(() => store.close());
  const portalBus = await connect("portal");
  t.after(() => portalBus.close());
  const projections = await startProjections({ bus: portalBus, store, log, timeZone: "UTC" });
  t.after(() => projections.stop());

  const recognizerBus = await connect("recognizer");
  t.after(() => recognizerBus.close());
  const recognizer = await startRecognizer(recognizerBus, recognizerConfig.parse({ RECOGNIZER_CONCURRENCY: "2" }), log);
  t.after(() => recognizer.stop());

  // the detections the cluster acknowledged (a publish returns only after the stream's quorum stored it)
  const cameraBus = await connect("camera");
  t.after(() => cameraBus.close());
  const detections = new Set<string>();
  const publish = cameraBus.publish.bind(cameraBus);
  cameraBus.publish = async (env: AnyEnvelope) => {
    const r = await publish(env);
    if (env.type === "FaceDetected") detections.add(env.id);
    return r;
  };
  const camera = await startCameraService({
    config: cameraConfig.parse({
      // realtime and looping: the camera publishes until the test stops it, so both kills happen mid-stream
      CAMERAS: JSON.stringify([{ id: "gate", source: clip, role: "entrance", realtime: true, loop: true, detectFps: 10 }]),
      LIVE_PORT: "0",
      BEST_SHOT_INTERVAL_MS: "200",
    }),
    bus: cameraBus,
    log,
  });
  t.after(() => camera.stop());
  const runner = camera.runners[0];
  assert.ok(runner);
  const finished = runner.start();
  let cameraDone = false;
  const markDone = () => {
    cameraDone = true;
  };
  void finished.then(markDone, markDone);

  const leaderOf = async (stream: string) =>
    await retrying(`leader of ${stream}`, async () => {
      const leader = (await admin.jsm.streams.info(stream)).cluster?.leader;
      if (!leader) throw new Error("no leader yet");
      return leader;
    });
  const killLeader = async (
    stream: string,
  ): Promise<{ killed: NatsServerHandle; name: string; elected: string; detections: number }> => {
    const name = await leaderOf(stream);
    const killed = cluster.server(name);
    const at = detections.size;
    await killed.kill();
    const elected = await waitFor(
      async () => {
        const l = await leaderOf(stream).catch(() => "");
        return l && l !== name ? l : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: `a new ${stream} leader after ${name} was killed` },
    );
    t.diagnostic(`SIGKILLed ${stream} leader ${name} after ${at} detections; ${elected} elected`);
    return { killed, name, elected, detections: at };
  };

  // kill 1: the DETECTIONS leader while the camera publishes detections
  await waitFor(() => detections.size >= 10, { timeoutMs: 120_000, message: () => `detections published (${detections.size})` });
  const first = await killLeader("DETECTIONS");
  assert.equal(cameraDone, false, "the camera was still publishing when the DETECTIONS leader died");

  // the killed server comes back with its store and catches up; then kill 2: whoever leads SIGHTINGS now
  await sleep(2000);
  await first.killed.restart();
  await waitFor(
    async () => {
      const info = await admin.jsm.streams.info("SIGHTINGS").catch(() => undefined);
      const peers = info?.cluster?.replicas ?? [];
      return peers.length === 2 && peers.every((p) => p.current && !p.offline);
    },
    { timeoutMs: 60_000, intervalMs: 250, message: `${first.name} rejoined and is current` },
  );
  const second = await killLeader("SIGHTINGS");
  assert.equal(cameraDone, false, "the camera was still publishing when the SIGHTINGS leader died");
  // the camera keeps publishing to the two survivors for a while, then stops; the killed member comes back
  await waitFor(() => detections.size >= second.detections + 10, {
    timeoutMs: 60_000,
    message: () => `detections after the second kill (${detections.size})`,
  });
  await camera.stop();
  await finished;
  t.diagnostic(`camera stopped: ${detections.size} detections acknowledged by the cluster`);
  await second.killed.restart();

  // drained: nothing pending or unacknowledged on the work queue, and a sighting for every detection
  const sightings = await SightingsRepository.open(store);
  let state = "";
  await waitFor(
    async () => {
      const info = await admin.jsm.consumers.info("DETECTIONS", "recognizers").catch(() => undefined);
      const n = await sightings.count();
      state = info ? `pending ${info.num_pending}, ack pending ${info.num_ack_pending}, sightings ${n}` : "no info";
      return info && info.num_pending === 0 && info.num_ack_pending === 0 && n >= detections.size;
    },
    { timeoutMs: 150_000, intervalMs: 500, message: () => `every detection has its sighting (${detections.size}; ${state})` },
  );

  // SIGHTINGS holds exactly one outcome per acknowledged detection (derived ids + the stream's dedupe window)
  const outcomes = new Map<string, number>();
  const info = await retrying("SIGHTINGS info", () => admin.jsm.streams.info("SIGHTINGS"));
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await retrying(`SIGHTINGS #${seq}`, () => admin.jsm.streams.getMessage("SIGHTINGS", { seq }));
    if (!m) continue; // a gap in the sequence (nothing is deleted from SIGHTINGS here): a lost outcome fails below
    const env = AnyEnvelopeSchema.parse(m.json());
    if (OUTCOMES.has(env.type)) outcomes.set(env.causationId ?? "", (outcomes.get(env.causationId ?? "") ?? 0) + 1);
  }
  const lost = [...detections].filter((id) => !outcomes.has(id));
  const doubled = [...outcomes].filter(([, n]) => n > 1);
  const strays = [...outcomes.keys()].filter((id) => !detections.has(id));
  assert.deepEqual(lost, [], "detections without an outcome on SIGHTINGS");
  assert.deepEqual(doubled, [], "detections with more than one outcome on SIGHTINGS");
  assert.deepEqual(strays, [], "outcomes of detections the camera never saw acknowledged");

  assert.ok(detections.size >= 10);
  assert.equal(await sightings.count(), detections.size, "exactly one sighting per detection in the projections");
  for (const id of detections) assert.ok(await sightings.get(id), `detection ${id} has its sighting`);
  assert.equal((await admin.jsm.streams.info("DETECTIONS")).state.messages, 0, "the work queue is empty");
  const consumer = await admin.jsm.consumers.info("DETECTIONS", "recognizers");
  t.diagnostic(
    `work queue: ${consumer.delivered.stream_seq} messages delivered (detections and track ends), ${consumer.num_redelivered} redelivered`,
  );
  t.diagnostic(
    `${detections.size} detections -> ${outcomes.size} outcomes on SIGHTINGS -> ${await sightings.count()} sightings; ` +
      `kills: DETECTIONS leader ${first.name} at ${first.detections} detections, SIGHTINGS leader ${second.name} at ${second.detections}`,
  );
});
