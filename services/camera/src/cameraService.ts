/**
 * The camera service assembled from its config: the live view, the recognition feed for its labels, the detector
 * (worker threads shared by every camera) and one runner per camera. `main.ts` calls this inside `runService`; tests
 * call it with a bus of their own.
 */
import { availableParallelism } from "node:os";
import type { Bus } from "@persona/bus";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { detectorChoice } from "@persona/vision";
import { type AnalysisOptions, type FaceAnalyzer, InlineAnalyzer } from "./analysis.ts";
import { CameraRunner } from "./cameraRunner.ts";
import { type Config, camerasOf, detectorThreads, pipelineSettings } from "./config.ts";
import { DetectorPool } from "./detectorPool.ts";
import type { EventBus } from "./events.ts";
import { LiveView } from "./liveView.ts";
import type { CameraMetrics } from "./metrics.ts";
import { followRecognitions } from "./recognitionFeed.ts";
import { redactSecrets } from "./sources/ffmpegArgs.ts";
import { FfmpegFrameSource, type FfmpegSourceOptions } from "./sources/ffmpegSource.ts";
import { TrackNames } from "./trackNames.ts";

export interface CameraServiceOptions {
  config: Config;
  bus: EventBus & { nc: Pick<Bus["nc"], "subscribe"> };
  log: Logger;
  metrics?: CameraMetrics;
  /** CPU cores for the "auto" thread count. Default: os.availableParallelism(). */
  cores?: number;
  /** Overrides of every source's options (tests: shorter timeouts). */
  sourceOptions?: Partial<FfmpegSourceOptions>;
}

export interface CameraService {
  readonly runners: readonly CameraRunner[];
  readonly live: LiveView;
  /** The live view's port. */
  readonly livePort: number;
  readonly analyzer: FaceAnalyzer | null;
  readonly names: TrackNames;
  readonly checks: ReadinessCheck[];
  stop(): Promise<void>;
}

export async function startCameraService(o: CameraServiceOptions): Promise<CameraService> {
  const { config, bus, log, metrics } = o;
  const cameras = camerasOf(config);
  const names = new TrackNames();
  const runners: CameraRunner[] = [];
  const live = new LiveView({
    cameras: cameras.map((c) => ({ id: c.id, name: c.name, role: c.role, kind: c.kind, source: redactSecrets(c.source) })),
    names,
    maxFps: config.LIVE_MAX_FPS,
    jpegQuality: config.LIVE_JPEG_QUALITY,
    log: log.child({ component: "live" }),
    stats: (id) => {
      const r = runners.find((x) => x.camera.id === id);
      return r ? { ...r.stats, pendingEvents: r.pendingEvents } : {};
    },
    ...(metrics ? { metrics } : {}),
  });
  await live.probeText();
  const livePort = await live.listen(config.LIVE_PORT, config.LIVE_HOST);
  log.info({ port: livePort, host: config.LIVE_HOST, labels: live.textEnabled }, "live view at /cameras");
  const feed = followRecognitions(bus.nc, new Set(cameras.map((c) => c.id)), names, log);

  let analyzer: FaceAnalyzer | null = null;
  try {
    if (cameras.length === 0) {
      log.info("no cameras configured (CAMERAS or CAMERAS_FILE): the service idles");
    } else {
      const analysis: AnalysisOptions = {
        detect: {
          minFaceSize: config.DETECT_MIN_FACE_SIZE,
          ...(config.DETECT_SCORE_THRESHOLD !== undefined ? { scoreThreshold: config.DETECT_SCORE_THRESHOLD } : {}),
          tiling: config.DETECT_TILING,
        },
        template: pipelineSettings(config, cameras[0] as (typeof cameras)[number]).template,
        landmarks: config.ALIGN_LANDMARKS === "auto",
      };
      const threads = detectorThreads(config.DETECTOR_THREADS, cameras.length, o.cores ?? availableParallelism());
      analyzer = threads === 0 ? await InlineAnalyzer.create({}, analysis) : await DetectorPool.create(threads, {}, analysis);
      const detector = detectorChoice();
      if (detector.note) log.warn({ detector: detector.kind }, detector.note);
      log.info(
        {
          detector: detector.kind,
          threads,
          template: analysis.template.name,
          chip: `${analysis.template.width}x${analysis.template.height}`,
          alignment: analysis.landmarks && analysis.template.landmarks68 ? "68 landmarks" : "4 keypoints",
        },
        threads === 0 ? "detector on the main thread" : "detector worker threads ready",
      );
    }
  } catch (err) {
    feed.stop();
    await live.close();
    throw err;
  }

  for (const camera of cameras) {
    const source = new FfmpegFrameSource({
      cameraId: camera.id,
      kind: camera.kind,
      source: camera.source,
      loop: camera.loop,
      realtime: camera.realtime,
      maxWidth: camera.maxWidth,
      detectFps: camera.detectFps,
      ffmpegPath: config.FFMPEG_PATH,
      backoff: { initialMs: config.SOURCE_RETRY_INITIAL_MS, maxMs: config.SOURCE_RETRY_MAX_MS },
      maxAttempts: config.SOURCE_MAX_ATTEMPTS,
      stallTimeoutMs: config.SOURCE_STALL_TIMEOUT_MS,
      startupTimeoutMs: config.SOURCE_STARTUP_TIMEOUT_MS,
      ioTimeoutMs: config.SOURCE_IO_TIMEOUT_MS,
      ...o.sourceOptions,
    });
    const runner = new CameraRunner({
      camera,
      source,
      analyzer: analyzer as FaceAnalyzer,
      bus,
      settings: pipelineSettings(config, camera),
      log: log.child({ camera: camera.id }),
      live,
      ...(metrics ? { metrics } : {}),
    });
    runners.push(runner);
    runner.start().catch((err: unknown) => log.error({ err, camera: camera.id }, "camera runner failed"));
  }

  const checks: ReadinessCheck[] = [
    {
      name: "cameras",
      check: () => {
        const states = runners.map((r) => `${r.camera.id}: ${r.lastStatus?.state ?? "starting"}`);
        const allFailed = runners.length > 0 && runners.every((r) => r.lastStatus?.state === "failed");
        return { ok: !allFailed, detail: runners.length === 0 ? "no cameras configured" : states.join(", ") };
      },
    },
  ];

  let stopping: Promise<void> | null = null;
  return {
    runners,
    live,
    livePort,
    analyzer,
    names,
    checks,
    stop() {
      stopping ??= (async () => {
        // sources stop first: open tracks end ("camera-stopped") and every event is published before the bus drains
        await Promise.all(runners.map((r) => r.stop()));
        await analyzer?.close();
        feed.stop();
        await live.close();
      })();
      return stopping;
    },
  };
}
