/**
 * The camera service assembled from its config: the live view, the recognition feed for its labels, the detector
 * (worker threads shared by every camera, started with the first camera) and the fleet of cameras (its bootstrap
 * list plus the managed cameras of its group, followed at run time; fleet.ts). `main.ts` calls this inside
 * `runService`; tests call it with a bus of their own.
 */
import { availableParallelism } from "node:os";
import type { Bus } from "@persona/bus";
import type { KV } from "@nats-io/kv";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { detectorChoice } from "@persona/vision";
import { type AnalysisOptions, type FaceAnalyzer, InlineAnalyzer } from "./analysis.ts";
import { CameraRunner } from "./cameraRunner.ts";
import { CameraFleet, type RunnerFactory } from "./fleet.ts";
import { type Config, camerasOf, chipTemplate, detectorThreads, pipelineSettings } from "./config.ts";
import { DetectorPool } from "./detectorPool.ts";
import type { EventBus } from "./events.ts";
import { LiveView } from "./liveView.ts";
import type { CameraMetrics } from "./metrics.ts";
import { followRecognitions } from "./recognitionFeed.ts";
import { FfmpegFrameSource, type FfmpegSourceOptions } from "./sources/ffmpegSource.ts";
import { TrackNames } from "./trackNames.ts";

export interface CameraServiceOptions {
  config: Config;
  /** With `kv` (a real Bus), managed cameras and health reports; without, the bootstrap cameras only. */
  bus: EventBus & { nc: Pick<Bus["nc"], "subscribe">; kv?: (bucket: string) => Promise<KV> };
  log: Logger;
  metrics?: CameraMetrics;
  /** CPU cores for the "auto" thread count. Default: os.availableParallelism(). */
  cores?: number;
  /** Overrides of every source's options (tests: shorter timeouts). */
  sourceOptions?: Partial<FfmpegSourceOptions>;
}

export interface CameraService {
  /** The cameras running now. */
  readonly runners: readonly CameraRunner[];
  readonly fleet: CameraFleet;
  readonly live: LiveView;
  /** The live view's port. */
  readonly livePort: number;
  readonly analyzer: FaceAnalyzer | null;
  readonly names: TrackNames;
  readonly checks: ReadinessCheck[];
  stop(): Promise<void>;
}

/** The detector, shared by every camera, created when the first camera starts. */
function analyzerFactory(o: CameraServiceOptions, bootstrapCount: number) {
  const { config, log } = o;
  let analyzer: Promise<FaceAnalyzer> | null = null;
  let created: FaceAnalyzer | null = null;
  return {
    get current() {
      return created;
    },
    get(): Promise<FaceAnalyzer> {
      analyzer ??= (async () => {
        const analysis: AnalysisOptions = {
          detect: {
            minFaceSize: config.DETECT_MIN_FACE_SIZE,
            ...(config.DETECT_SCORE_THRESHOLD !== undefined ? { scoreThreshold: config.DETECT_SCORE_THRESHOLD } : {}),
            tiling: config.DETECT_TILING,
          },
          template: chipTemplate(config.CHIP_TEMPLATE),
          landmarks: config.ALIGN_LANDMARKS === "auto",
        };
        // managed cameras may come later: size "auto" for at least two
        const planned = config.CAMERA_GROUP === "off" ? bootstrapCount : Math.max(2, bootstrapCount);
        const threads = detectorThreads(config.DETECTOR_THREADS, Math.max(1, planned), o.cores ?? availableParallelism());
        const a = threads === 0 ? await InlineAnalyzer.create({}, analysis) : await DetectorPool.create(threads, {}, analysis);
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
        created = a;
        return a;
      })();
      return analyzer;
    },
  };
}

/** Builds a camera's runner: its ffmpeg source with the service's source settings and the pipeline settings. */
function runnerFactory(o: CameraServiceOptions): RunnerFactory {
  const { config, bus, log, metrics } = o;
  return (camera, analyzer, sink) =>
    new CameraRunner({
      camera,
      source: new FfmpegFrameSource({
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
      }),
      analyzer,
      bus,
      settings: pipelineSettings(config, camera),
      log: log.child({ camera: camera.id }),
      live: sink,
      ...(metrics ? { metrics } : {}),
    });
}

export async function startCameraService(o: CameraServiceOptions): Promise<CameraService> {
  const { config, bus, log, metrics } = o;
  const bootstrap = camerasOf(config);
  const names = new TrackNames();
  let fleet: CameraFleet | null = null;
  const live = new LiveView({
    cameras: [],
    names,
    maxFps: config.LIVE_MAX_FPS,
    jpegQuality: config.LIVE_JPEG_QUALITY,
    log: log.child({ component: "live" }),
    stats: (id) => {
      const r = fleet?.runners.find((x) => x.camera.id === id);
      return r ? { ...r.stats, pendingEvents: r.pendingEvents } : {};
    },
    ...(metrics ? { metrics } : {}),
  });
  await live.probeText();
  const livePort = await live.listen(config.LIVE_PORT, config.LIVE_HOST);
  log.info({ port: livePort, host: config.LIVE_HOST, labels: live.textEnabled }, "live view at /cameras");
  const labelled = new Set<string>();
  const feed = followRecognitions(bus.nc, labelled, names, log);
  const analyzers = analyzerFactory(o, bootstrap.length);
  const managed = config.CAMERA_GROUP !== "off" || bootstrap.length > 0;

  try {
    fleet = new CameraFleet({
      bootstrap,
      group: config.CAMERA_GROUP,
      filesDir: config.MANAGED_FILES_DIR,
      config: managed && bus.kv ? await bus.kv("config") : null,
      health: bus.kv ? await bus.kv("camera-health") : null,
      healthEveryMs: config.HEALTH_REPORT_MS,
      analyzer: () => analyzers.get(),
      live: {
        frame: (id, frame, tracks) => live.frame(id, frame, tracks),
        status: (id, status) => live.status(id, status),
        addCamera: (c) => live.addCamera(c),
        removeCamera: (id) => live.removeCamera(id),
      },
      labelled,
      log,
      newRunner: runnerFactory(o),
    });
    if (bootstrap.length === 0 && config.CAMERA_GROUP === "off") {
      log.info("no cameras configured (CAMERAS or CAMERAS_FILE) and CAMERA_GROUP=off: the service idles");
    } else if (bootstrap.length === 0) {
      log.info({ group: config.CAMERA_GROUP }, "no bootstrap cameras: running the managed cameras of this group");
    }
    await fleet.start();
  } catch (err) {
    await fleet?.stop().catch(() => undefined);
    await analyzers.current?.close();
    feed.stop();
    await live.close();
    throw err;
  }
  const running = fleet;

  const checks: ReadinessCheck[] = [
    {
      name: "cameras",
      check: () => {
        const runners = running.runners;
        const states = runners.map((r) => `${r.camera.id}: ${r.lastStatus?.state ?? "starting"}`);
        const allFailed = runners.length > 0 && runners.every((r) => r.lastStatus?.state === "failed");
        return { ok: !allFailed, detail: runners.length === 0 ? "no cameras running" : states.join(", ") };
      },
    },
  ];

  let stopping: Promise<void> | null = null;
  return {
    get runners() {
      return running.runners;
    },
    fleet: running,
    live,
    livePort,
    get analyzer() {
      return analyzers.current;
    },
    names,
    checks,
    stop() {
      stopping ??= (async () => {
        // sources stop first: open tracks end ("camera-stopped") and every event is published before the bus drains
        await running.stop();
        await analyzers.current?.close();
        feed.stop();
        await live.close();
      })();
      return stopping;
    },
  };
}
