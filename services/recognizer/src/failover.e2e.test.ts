import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { testBus } from "@persona/bus/testing";
import { AnyEnvelopeSchema } from "@persona/contracts";
import { createLogger, datasetsDir, repoRoot } from "@persona/runtime";
import { configSchema as cameraConfig, startCameraService } from "@persona/service-camera";
import { startProjections } from "@persona/service-portal/projections";
import { SightingsRepository, openStore } from "@persona/store";
import { startNatsServer, waitFor, tempDir } from "@persona/testing";
import { resolveModelPath } from "@persona/vision";

const clip = join(datasetsDir(), "videos", "clm_multi_face.avi");
const skip = !existsSync(clip)
  ? `video not found at ${clip} (set PERSONA_DATASETS)`
  : !existsSync(resolveModelPath("dlib-resnet29.onnx"))
    ? "models not built (run make models)"
    : undefined;

function recognizer(url: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", join(repoRoot(), "services/recognizer/src/main.ts")], {
    env: { ...process.env, NATS_URL: url, HEALTH_PORT: "0", LOG_LEVEL: "warn", RECOGNIZER_CONCURRENCY: "2" },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

test("no detection is lost: a recognizer killed mid-run, every published detection ends in exactly one sighting in the projections", {
  skip,
  timeout: 300_000,
}, async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "failover-test");
  t.after(() => bus.close());
  const log = createLogger("failover-test", process.env.LOG_LEVEL ?? "silent");
  const dir = tempDir(t, "persona-failover-");
  const store = await openStore({ url: `sqlite:${join(dir, "p.db")}` });
  t.after(() => store.close());
  const projections = await startProjections({ bus, store, log, timeZone: "UTC" });
  t.after(() => projections.stop());

  const a = recognizer(server.url);
  const b = recognizer(server.url);
  t.after(() => {
    for (const p of [a, b]) if (p.exitCode === null) p.kill("SIGKILL");
  });
  await waitFor(async () => (await bus.jsm.consumers.info("DETECTIONS", "recognizers")).num_waiting >= 2, {
    timeoutMs: 90_000,
    message: "both recognizers pulling",
  });

  const detections = new Set<string>();
  const sub = bus.nc.subscribe("detections.*.face", {
    callback: (_e, m) => {
      const env = AnyEnvelopeSchema.safeParse(m.json());
      if (env.success) detections.add(env.data.id);
    },
  });
  t.after(() => sub.unsubscribe());

  const camera = await startCameraService({
    config: cameraConfig.parse({
      CAMERAS: JSON.stringify([{ id: "lab", source: clip, role: "classroom", realtime: false, detectFps: 10 }]),
      LIVE_PORT: "0",
      BEST_SHOT_INTERVAL_MS: "200",
    }),
    bus,
    log,
  });
  t.after(() => camera.stop());
  const runner = camera.runners[0];
  assert.ok(runner);
  const finished = runner.start();

  await waitFor(() => detections.size >= 10, { timeoutMs: 120_000, message: () => `detections published (${detections.size})` });
  a.kill("SIGKILL");
  t.diagnostic(`recognizer a killed after ${detections.size} detections`);
  await finished;

  const sightings = await SightingsRepository.open(store);
  const final = await waitFor(
    async () => {
      const info = await bus.jsm.consumers.info("DETECTIONS", "recognizers");
      const n = await sightings.count();
      return info.num_pending === 0 && info.num_ack_pending === 0 && n >= detections.size ? n : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, message: () => `every detection has its sighting (${detections.size} detections)` },
  );
  assert.ok(detections.size >= 10);
  assert.equal(final, detections.size, "exactly one sighting per detection");
  for (const id of detections) assert.ok(await sightings.get(id), `detection ${id} has its sighting`);
  t.diagnostic(`${detections.size} detections, ${final} sightings`);
});
