import { availableParallelism, loadavg } from "node:os";
import { Bus } from "@persona/bus";
import { ServiceMetrics, createLogger } from "@persona/runtime";
import { benchArgs, cpuSeconds, type NatsServerHandle, startNatsCluster, startNatsServer, waitFor } from "@persona/testing";
import { detections, lfwChips, startRecognizers, stopAll } from "./common.ts";

const values = benchArgs({ faces: "400", replicas: "1,2,4", concurrency: "2", cluster: false });
const faces = Number(values.faces);
const replicaCounts = values.replicas.split(",").map(Number);
const say = (s: string) => process.stderr.write(`${s}\n`);

// 1. aligned chips from LFW, one per person (the camera's chips: the embedder's template)
const chips = await lfwChips();
say(`prepared ${chips.length} aligned chips; ${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`);

interface Result {
  replicas: number;
  faces: number;
  seconds: number;
  facesPerSecond: number;
  speedup: number;
  recognizerCpuMsPerFace: number;
  natsCpuMsPerFace: number;
  /** Bytes the outcomes add to SIGHTINGS per face (one replica's copy). */
  sightingsBytesPerFace: number;
}
const results: Result[] = [];
const log = createLogger("bench", "silent");

for (const replicas of replicaCounts) {
  const cluster = values.cluster ? await startNatsCluster() : undefined;
  const single = cluster ? undefined : await startNatsServer();
  const servers: readonly NatsServerHandle[] = cluster ? cluster.servers : [single as NatsServerHandle];
  const url = cluster ? cluster.url : (single as NatsServerHandle).url;
  const bus = await Bus.connect({ url, service: "bench", log, metrics: new ServiceMetrics("bench"), replicas: cluster ? 3 : 1 });
  await bus.applyTopology();
  const procs = await startRecognizers(
    bus,
    replicas,
    { NATS_URL: url, NATS_REPLICAS: cluster ? "3" : "1", RECOGNIZER_CONCURRENCY: values.concurrency },
    120_000,
  );
  const envelopes = detections(bus, chips, faces);
  const cpu0 = procs.map((p) => cpuSeconds(p.pid));
  const nats0 = servers.map((s) => cpuSeconds(s.pid));
  const started = performance.now();
  await Promise.all(envelopes.map((e) => bus.publish(e)));
  const sightings = await waitFor(
    async () => {
      const info = await bus.jsm.streams.info("SIGHTINGS");
      return info.state.messages >= faces ? info : undefined;
    },
    { timeoutMs: 900_000, intervalMs: 100, message: "all outcomes published" },
  );
  const seconds = (performance.now() - started) / 1000;
  const recCpu = procs.reduce((a, p, i) => a + cpuSeconds(p.pid) - (cpu0[i] ?? 0), 0);
  const natsCpu = servers.reduce((a, s, i) => a + cpuSeconds(s.pid) - (nats0[i] ?? 0), 0);
  const facesPerSecond = faces / seconds;
  const one = results[0];
  results.push({
    replicas,
    faces,
    seconds,
    facesPerSecond,
    speedup: one ? facesPerSecond / (one.facesPerSecond / 1) : 1,
    recognizerCpuMsPerFace: (recCpu * 1000) / faces,
    natsCpuMsPerFace: (natsCpu * 1000) / faces,
    sightingsBytesPerFace: sightings.state.bytes / faces,
  });
  say(
    `${replicas} replica(s): ${faces} faces in ${seconds.toFixed(2)} s = ${facesPerSecond.toFixed(1)} faces/s; ` +
      `recognizer CPU ${((recCpu * 1000) / faces).toFixed(1)} ms/face, nats-server ${((natsCpu * 1000) / faces).toFixed(2)} ms/face; ` +
      `${(sightings.state.bytes / faces).toFixed(0)} bytes/face on SIGHTINGS`,
  );
  await stopAll(procs);
  await bus.close();
  await (cluster ? cluster.dispose() : single?.dispose());
}

const setup = values.cluster ? "3-server cluster, R3 streams" : "one nats-server, R1 streams";
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ bench: "recognizer-scaleout", setup, cores: availableParallelism(), results }, null, 2)}\n`,
  );
} else {
  process.stdout.write(
    `recognizer scale-out (${setup}; ${availableParallelism()} cores; RECOGNIZER_CONCURRENCY=${values.concurrency} per replica)\n`,
  );
  process.stdout.write(
    "replicas  faces  seconds  faces/s  speed-up  recognizer CPU ms/face  nats CPU ms/face  SIGHTINGS bytes/face\n",
  );
  for (const r of results) {
    process.stdout.write(
      `${String(r.replicas).padEnd(9)} ${String(r.faces).padEnd(6)} ${r.seconds.toFixed(2).padEnd(8)} ${r.facesPerSecond.toFixed(1).padEnd(8)} ` +
        `${r.speedup.toFixed(2).padEnd(9)} ${r.recognizerCpuMsPerFace.toFixed(1).padEnd(23)} ${r.natsCpuMsPerFace.toFixed(2).padEnd(17)} ` +
        `${r.sightingsBytesPerFace.toFixed(0)}\n`,
    );
  }
  const best = results.reduce((a, b) => (b.facesPerSecond > a.facesPerSecond ? b : a));
  process.stdout.write(
    `throughput peaks at ${best.replicas} replica(s) (${best.facesPerSecond.toFixed(1)} faces/s) on ${availableParallelism()} cores: ` +
      "beyond one replica per free core, replicas only share the same cores\n",
  );
}
