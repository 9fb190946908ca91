/**
 * Which decoder the camera should use: CPU time per frame delivered at 5 fps from a 1280x720 H.264 camera stream
 * (the walking-crowd clip transcoded once to 720p, 25 fps), read as fast as possible.
 *
 * - ffmpeg, as the camera runs it (`buildFfmpegArgs`: frames dropped by a select filter before colour conversion,
 *   rgb24 on a pipe), in its own process: its CPU from /proc plus the Node side reading the pipe.
 * - OpenCV `VideoCapture` (FFmpeg backend) in the Node process: the binding has `read` only (no `grab`), so every
 *   frame is decoded and converted to BGR; one in five is turned to RGB in JS memory, as the camera needs it.
 *
 *   node --import tsx services/camera/bench/decode.bench.ts [frames=150]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { imageOf, opencv } from "@persona/vision";
import { procStat } from "@persona/testing";
import { buildFfmpegArgs } from "../src/sources/ffmpegArgs.ts";
import { benchTempDir, crowdClip, transcode720 } from "./common.ts";

const frames = Number(process.argv[2] ?? 150);
const tmp = benchTempDir("persona-decode-bench-");
const clip = transcode720(crowdClip(), join(tmp, "crowd-1280x720.mp4"), { loops: 12, fps: 25 });

const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function viaFfmpeg(): Promise<{ n: number; cpu: number; wall: number }> {
  const args = buildFfmpegArgs({
    kind: "file",
    source: clip,
    realtime: false,
    maxWidth: null,
    ioTimeoutMs: 10_000,
    detectFps: 5,
  });
  const frameBytes = 1280 * 720 * 3;
  const c0 = ownCpu();
  const w0 = performance.now();
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "pipe", "ignore"] });
  const pid = child.pid as number;
  let childCpu = 0;
  let got = 0;
  let buffered = 0;
  await new Promise<void>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.length;
      while (buffered >= frameBytes && got < frames) {
        buffered -= frameBytes;
        got++;
        // sampled per frame: /proc is gone once ffmpeg exits at the end of the file
        childCpu = procStat(pid)?.cpuSeconds ?? childCpu;
      }
      if (got >= frames) child.kill("SIGKILL");
    });
    child.once("exit", () => resolve());
  });
  return { n: got, cpu: childCpu + ownCpu() - c0, wall: performance.now() - w0 };
}

function viaOpenCv(): { n: number; cpu: number; wall: number } {
  const cv = opencv();
  cv.setNumThreads(1);
  const cap = new cv.VideoCapture(clip);
  const fps = cap.get(cv.CAP_PROP_FPS);
  const every = Math.max(1, Math.round(fps / 5));
  const c0 = ownCpu();
  const w0 = performance.now();
  let got = 0;
  for (let i = 0; got < frames; i++) {
    const m = cap.read();
    if (m.empty) break;
    if (i % every !== 0) continue;
    imageOf(m.cvtColor(cv.COLOR_BGR2RGB));
    got++;
  }
  cap.release();
  return { n: got, cpu: ownCpu() - c0, wall: performance.now() - w0 };
}

console.log(`1280x720 H.264 at 25 fps -> ${frames} frames at 5 fps, read as fast as possible\n`);
for (let round = 0; round < 2; round++) {
  for (const [name, run] of [
    ["ffmpeg process (select filter, rgb24 pipe)", viaFfmpeg],
    ["OpenCV VideoCapture in-process (+ BGR->RGB)", async () => viaOpenCv()],
  ] as const) {
    const r = await run();
    if (round === 0) continue; // warm-up: page cache, code paths
    console.log(
      `${name.padEnd(46)} ${((r.cpu / r.n) * 1000).toFixed(2)} ms CPU per frame, ${(r.wall / r.n).toFixed(2)} ms wall per frame (${r.n} frames)`,
    );
  }
}
