/**
 * Camera pipeline benchmark: frames per second through source -> detection -> alignment/quality, per-frame
 * detection cost, and how long the event loop is blocked, with detection on the main thread and on a worker thread.
 *
 *   node --import tsx services/camera/bench/camera.bench.ts
 *
 * Clips from the shared data sets (PERSONA_DATASETS): clm_multi_face (640x480), a ytc clip (320x240) and the
 * 1920x1080 walking crowd downscaled to 1280x720 (tiled detection). Files are read as fast as possible at 5 fps of
 * media time, so every run processes the same frames.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { datasetsDir } from "@persona/runtime";
import { DLIB_150, MODEL_FILES, resolveModelPath } from "@persona/vision";
import { type FaceAnalyzer, InlineAnalyzer } from "../src/analysis.ts";
import { DetectorPool } from "../src/detectorPool.ts";
import { FfmpegFrameSource } from "../src/sources/ffmpegSource.ts";

const videos = join(datasetsDir(), "videos");
const clips = [
  { name: "clm_multi_face 640x480", file: join(videos, "clm_multi_face.avi"), maxWidth: null },
  { name: "ytc_0294 320x240", file: join(videos, "ytc_0294_02_004_angelina_jolie.avi"), maxWidth: null },
  { name: "walking_crowd 1080p->1280x720", file: join(videos, "facenet_pytorch_walking_crowd.mp4"), maxWidth: 1280 },
];
if (!existsSync(resolveModelPath(MODEL_FILES.blazeface)) || !clips.every((c) => existsSync(c.file))) {
  console.error("needs models/dist (make models) and the shared videos (PERSONA_DATASETS)");
  process.exit(1);
}

const analysis = { detect: {}, template: DLIB_150 };
for (const clip of clips) {
  for (const mode of ["main thread", "worker thread"] as const) {
    const analyzer: FaceAnalyzer =
      mode === "main thread" ? await InlineAnalyzer.create({}, analysis) : await DetectorPool.create(1, {}, analysis);
    const source = new FfmpegFrameSource({
      cameraId: "bench",
      kind: "file",
      source: clip.file,
      realtime: false,
      detectFps: 5,
      maxWidth: clip.maxWidth,
    });
    const lag = monitorEventLoopDelay({ resolution: 5 });
    let frames = 0;
    let faces = 0;
    let detectMs = 0;
    let runs = 0;
    let size = "";
    const t0 = performance.now();
    lag.enable();
    for await (const ev of source.events()) {
      if (ev.type !== "frame") continue;
      const a = await analyzer.analyze(ev.frame);
      frames++;
      faces += a.faces.length;
      detectMs += a.detectMs + a.alignMs;
      runs += a.runs;
      size = `${ev.frame.width}x${ev.frame.height}`;
    }
    lag.disable();
    const s = (performance.now() - t0) / 1000;
    await analyzer.close();
    console.log(
      `${clip.name.padEnd(32)} ${mode.padEnd(13)} ${size} ${String(frames).padStart(4)} frames ${(frames / s).toFixed(1).padStart(5)} frames/s  ` +
        `detect+align ${(detectMs / frames).toFixed(1).padStart(5)} ms/frame (${(runs / frames).toFixed(1)} runs, ${(faces / frames).toFixed(1)} faces)  ` +
        `event loop delay p50 ${(lag.percentile(50) / 1e6).toFixed(1)} p99 ${(lag.percentile(99) / 1e6).toFixed(1)} max ${(lag.max / 1e6).toFixed(1)} ms`,
    );
  }
}
