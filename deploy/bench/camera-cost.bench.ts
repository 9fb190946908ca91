// What one camera costs a site: the real camera service (services/camera/src/main.ts) runs one camera on a looping clip
// played in real time, on a real nats-server; after a warm-up we measure, over a window, the CPU the camera process and
// its ffmpeg use (from /proc, so cores per camera) and the face detections it publishes (faces/s the recognizers must
// absorb, and bytes/s NATS must store). deploy/k8s/README.md builds its sizing model from these numbers.
// Usage: node --import tsx deploy/bench/camera-cost.bench.ts [--seconds 20] [--fps 5] [--json]
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { Bus } from "@persona/bus";
import { ServiceMetrics, createLogger, datasetsDir, repoRoot } from "@persona/runtime";
import { benchArgs, freePort, processes, startNatsServer, waitFor } from "@persona/testing";

const values = benchArgs({ seconds: "20", fps: "5" });
const windowSeconds = Number(values.seconds);
const videos = join(datasetsDir(), "videos");
const clips = [
  { name: "clm_multi_face 640x480, 3 faces", file: join(videos, "clm_multi_face.avi"), maxWidth: undefined },
  {
    name: "walking crowd 1920x1080 -> 1280x720, ~10 faces",
    file: join(videos, "facenet_pytorch_walking_crowd.mp4"),
    maxWidth: 1280,
  },
];
if (!clips.every((c) => existsSync(c.file))) {
  console.error(`needs the shared videos under ${videos} (PERSONA_DATASETS)`);
  process.exit(1);
}

/** CPU seconds of a process and all its descendants (the camera's node process and its ffmpeg children). */
function treeCpuSeconds(root: number): number {
  const all = processes();
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p && p > 1; p = all.get(p)?.ppid) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, s] of all) if (inTree(pid)) total += s.cpuSeconds;
  return total;
}

/** persona_camera_frames_total by outcome (decoded, processed, dropped_behind), from the camera's /metrics. */
async function frames(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^persona_camera_frames_total\{[^}]*outcome="([a-z_]+)"[^}]*\} (\S+)$/gm)) {
    out[m[1] ?? ""] = (out[m[1] ?? ""] ?? 0) + Number(m[2]);
  }
  return out;
}

interface Result {
  clip: string;
  detectFps: number;
  seconds: number;
  cores: number;
  /** Frames detected per second in the window, and frames lost because the pipeline was busy. */
  processedFps: number;
  droppedFps: number;
  facesPerSecond: number;
  kbPerSecond: number;
}
const results: Result[] = [];
const say = (s: string) => process.stderr.write(`${s}\n`);
say(`${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`);

for (const clip of clips) {
  await using server = await startNatsServer();
  const bus = await Bus.connect({
    url: server.url,
    service: "bench",
    log: createLogger("bench", "silent"),
    metrics: new ServiceMetrics("bench"),
  });
  await bus.applyTopology();
  const nc = await connect({ servers: server.url });
  let faces = 0;
  let bytes = 0;
  nc.subscribe("detections.>", {
    callback: (_e, m) => {
      faces++;
      bytes += m.data.length;
    },
  });
  const camera = { id: "bench", source: clip.file, role: "entrance", realtime: true, loop: true, detectFps: Number(values.fps) };
  const healthPort = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", join(repoRoot(), "services/camera/src/main.ts")], {
    env: {
      ...process.env,
      NATS_URL: server.url,
      HEALTH_PORT: String(healthPort),
      LIVE_PORT: "0",
      LOG_LEVEL: "warn",
      CAMERAS: JSON.stringify([clip.maxWidth ? { ...camera, maxWidth: clip.maxWidth } : camera]),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  // warm-up: models loaded, ffmpeg running, first faces out
  await waitFor(() => faces > 0, { timeoutMs: 120_000, message: "first detection" });
  await sleep(3000);
  const cpu0 = treeCpuSeconds(proc.pid ?? 0);
  const faces0 = faces;
  const bytes0 = bytes;
  const frames0 = await frames(healthPort);
  const t0 = performance.now();
  await sleep(windowSeconds * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cores = (treeCpuSeconds(proc.pid ?? 0) - cpu0) / seconds;
  const frames1 = await frames(healthPort);
  const rate = (k: string) => ((frames1[k] ?? 0) - (frames0[k] ?? 0)) / seconds;
  const r: Result = {
    clip: clip.name,
    detectFps: Number(values.fps),
    seconds,
    cores,
    processedFps: rate("processed"),
    droppedFps: rate("dropped_behind"),
    facesPerSecond: (faces - faces0) / seconds,
    kbPerSecond: (bytes - bytes0) / 1024 / seconds,
  };
  results.push(r);
  say(
    `${r.clip}: ${r.cores.toFixed(2)} cores, ${r.processedFps.toFixed(1)} frames/s detected (${r.droppedFps.toFixed(1)} dropped), ${r.facesPerSecond.toFixed(1)} faces/s published, ${r.kbPerSecond.toFixed(0)} KB/s`,
  );
  proc.kill("SIGTERM");
  await new Promise((res) => (proc.exitCode !== null ? res(null) : proc.once("exit", res)));
  await nc.close();
  await bus.close();
}

if (values.json)
  process.stdout.write(`${JSON.stringify({ bench: "camera-cost", cores: availableParallelism(), results }, null, 2)}\n`);
else {
  process.stdout.write(`one camera, real time, ${values.fps} detections/s (camera process + ffmpeg, /proc CPU time)\n`);
  process.stdout.write("clip                                              cores  frames/s (dropped)  faces/s  KB/s to NATS\n");
  for (const r of results)
    process.stdout.write(
      `${r.clip.padEnd(49)} ${r.cores.toFixed(2).padEnd(6)} ${`${r.processedFps.toFixed(1)} (${r.droppedFps.toFixed(1)})`.padEnd(19)} ` +
        `${r.facesPerSecond.toFixed(1).padEnd(8)} ${r.kbPerSecond.toFixed(0)}\n`,
    );
}
