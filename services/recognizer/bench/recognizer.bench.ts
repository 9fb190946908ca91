// Recognizer throughput: N real recognizer processes (services/recognizer/src/main.ts) share the DETECTIONS work
// queue; we publish aligned LFW face crops as FaceDetected events and time until every one has its outcome.
// Usage: node --import tsx services/recognizer/bench/recognizer.bench.ts [--faces N] [--replicas 1,2,4] [--json]
import { testBus } from "@persona/bus/testing";
import { benchArgs, startNatsServer, waitFor } from "@persona/testing";
import { detections, lfwChips, startRecognizers, stopAll } from "./common.ts";

const values = benchArgs({ faces: "400", replicas: "1,2,4" });
const faces = Number(values.faces);
const replicaCounts = values.replicas.split(",").map(Number);
const say = (s: string) => process.stderr.write(`${s}\n`);

// 1. aligned chips from LFW (once)
const chips = await lfwChips();
say(`prepared ${chips.length} aligned chips`);

const results: { replicas: number; faces: number; seconds: number; facesPerSecond: number }[] = [];
for (const replicas of replicaCounts) {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "bench");
  const procs = await startRecognizers(bus, replicas, { NATS_URL: server.url, RECOGNIZER_CONCURRENCY: "2" }, 60_000);
  const envelopes = detections(bus, chips, faces);
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
  await stopAll(procs);
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
