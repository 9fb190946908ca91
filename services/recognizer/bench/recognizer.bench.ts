// Recognizer throughput: N real recognizer processes (services/recognizer/src/main.ts) share the DETECTIONS work
// queue; we publish aligned LFW face crops as FaceDetected events and time until every one has its outcome.
// Usage: node --import tsx services/recognizer/bench/recognizer.bench.ts [--faces N] [--replicas 1,2,4] [--json]
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EnvelopeOf } from "@persona/contracts";
import { testBus } from "@persona/bus/testing";
import { datasetsDir, repoRoot } from "@persona/runtime";
import { startNatsServer, waitFor } from "@persona/testing";
import { FaceDetector, decodeImage, detectAndAlign, embedderSpec, encodeJpeg } from "@persona/vision";

const { values } = parseArgs({
  options: {
    faces: { type: "string", default: "400" },
    replicas: { type: "string", default: "1,2,4" },
    json: { type: "boolean", default: false },
  },
});
const faces = Number(values.faces);
const replicaCounts = (values.replicas ?? "1,2,4").split(",").map(Number);
const say = (s: string) => process.stderr.write(`${s}\n`);

// 1. aligned chips from LFW (once)
const lfw = join(datasetsDir(), "lfw");
const detector = await FaceDetector.create();
const chips: { jpeg: Buffer; quality: number }[] = [];
for (const person of readdirSync(lfw).sort()) {
  if (chips.length >= 100) break;
  const dir = join(lfw, person);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".jpg"));
  } catch {
    continue;
  }
  const file = files[0];
  if (!file) continue;
  const [face] = await detectAndAlign(await decodeImage(join(dir, file)), {
    detector,
    template: embedderSpec("dlib-resnet29").template,
  });
  if (face) chips.push({ jpeg: await encodeJpeg(face.chip, 90), quality: face.quality.score });
}
await detector.dispose();
say(`prepared ${chips.length} aligned chips`);

const results: { replicas: number; faces: number; seconds: number; facesPerSecond: number }[] = [];
for (const replicas of replicaCounts) {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "bench");
  const procs: ChildProcess[] = [];
  for (let i = 0; i < replicas; i++) {
    procs.push(
      spawn(process.execPath, ["--import", "tsx", join(repoRoot(), "services/recognizer/src/main.ts")], {
        env: { ...process.env, NATS_URL: server.url, HEALTH_PORT: "0", LOG_LEVEL: "warn", RECOGNIZER_CONCURRENCY: "2" },
        stdio: ["ignore", "ignore", "inherit"],
      }),
    );
  }
  // wait until every replica pulls (consumer has that many waiting pull requests)
  await waitFor(async () => (await bus.jsm.consumers.info("DETECTIONS", "recognizers")).num_waiting >= replicas, {
    timeoutMs: 60_000,
    message: "recognizers pulling",
  });
  const envelopes: EnvelopeOf<"FaceDetected">[] = [];
  for (let i = 0; i < faces; i++) {
    const c = chips[i % chips.length];
    if (!c) break;
    envelopes.push(
      bus.envelope("FaceDetected", {
        cameraId: "bench",
        trackId: `t${i}`,
        shot: 1,
        frameNo: i,
        frameAt: new Date().toISOString(),
        frameSize: { width: 250, height: 250 },
        box: { x: 70, y: 70, width: 110, height: 110 },
        keypoints: [
          [100, 110],
          [150, 110],
        ],
        detectorScore: 0.9,
        quality: { score: c.quality, faceSize: 110, eyeDistance: 50, sharpness: 100, yaw: 0, pitch: 0, roll: 0 },
        crop: { kind: "inline", contentType: "image/jpeg", base64: c.jpeg.toString("base64") },
      }),
    );
  }
  const started = performance.now();
  await Promise.all(envelopes.map((e) => bus.publish(e)));
  await waitFor(
    async () => {
      const s = await bus.jsm.streams.info("SIGHTINGS");
      return s.state.messages >= faces;
    },
    { timeoutMs: 600_000, intervalMs: 100, message: "all outcomes published" },
  );
  const seconds = (performance.now() - started) / 1000;
  results.push({ replicas, faces, seconds, facesPerSecond: faces / seconds });
  say(`${replicas} replica(s): ${faces} faces in ${seconds.toFixed(2)} s = ${(faces / seconds).toFixed(1)} faces/s`);
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))));
  await bus.close();
}

if (values.json) process.stdout.write(`${JSON.stringify({ bench: "recognizer", results }, null, 2)}\n`);
else {
  process.stdout.write("recognizer throughput (embed + match + vote + publish; real service processes, one work queue)\n");
  process.stdout.write("replicas  faces  seconds  faces/s\n");
  for (const r of results) {
    process.stdout.write(
      `${String(r.replicas).padEnd(9)} ${String(r.faces).padEnd(6)} ${r.seconds.toFixed(2).padEnd(8)} ${r.facesPerSecond.toFixed(1)}\n`,
    );
  }
}
