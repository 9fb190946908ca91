/**
 * One camera's pipeline: source -> detection, alignment, quality (worker threads) -> tracker -> best shot ->
 * `FaceDetected` / `FaceTrackEnded` / `CameraStatusChanged`, published in order; processed frames go to the live view.
 *
 * Frames and status changes arrive in one ordered stream, so a track ends exactly where its connection broke.
 * Backpressure: the loop takes the next frame only when the detector has answered and fewer than
 * `publishMaxPending` events wait for NATS; meanwhile a live source keeps only its newest frame (the older ones are
 * counted as dropped) and a file read as fast as possible pauses. Nothing queues without bound.
 *
 * Time comes from the frames (their capture time) and the statuses, never from a clock of its own, so the runner is
 * tested with scripted sources without sleeping.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@persona/runtime";
import { encodeJpeg, type RgbImage } from "@persona/vision";
import { type AnyEnvelope, MAX_INLINE_CROP_BYTES } from "@persona/contracts";
import type { FaceAnalyzer, FaceObservation, FrameAnalysis } from "./analysis.ts";
import { BestShotSelector, type Shot, type ShotCandidate } from "./bestShot.ts";
import type { CameraConfig, PipelineSettings } from "./config.ts";
import {
  type EventBus,
  type ShotFrame,
  type TrackEndReason,
  cameraStatusData,
  faceDetectedData,
  trackEndedData,
} from "./events.ts";
import type { LiveTrack } from "./liveView.ts";
import type { CameraMetrics } from "./metrics.ts";
import { OrderedPublisher } from "./publisher.ts";
import type { Frame, FrameSource, SourceStatus } from "./sources/types.ts";
import { SceneCutDetector } from "./sceneCut.ts";
import { FaceTracker, type Track } from "./tracker.ts";

/** Where processed frames and statuses go for the live view. */
export interface LiveSink {
  frame(cameraId: string, frame: Frame, tracks: readonly LiveTrack[]): void;
  status(cameraId: string, status: SourceStatus): void;
}

export interface CameraRunnerOptions {
  camera: CameraConfig;
  source: FrameSource;
  analyzer: FaceAnalyzer;
  bus: EventBus;
  settings: PipelineSettings;
  log: Logger;
  metrics?: CameraMetrics;
  live?: LiveSink;
  /** Track ids: default `<camera>-<6 random base36 chars per run>-<counter in base36>` (a valid Token, unique across
   * restarts in practice). */
  newTrackId?: () => string;
  /** Correlation id shared by a track's events. Default a random UUID. */
  newCorrelationId?: () => string;
}

/** Counters of one runner (tests, the live view's camera list, logs). */
export interface RunnerStats {
  framesProcessed: number;
  facesDetected: number;
  detectMsTotal: number;
  analysisErrors: number;
  tracksStarted: number;
  tracksConfirmed: number;
  /** Tracks that published at least one shot. */
  tracksPublished: number;
  tracksEnded: number;
  shotsPublished: number;
  publishFailures: number;
  /** Detection frames that began a new scene (every track ended there). */
  sceneCuts: number;
}

interface Candidate extends ShotCandidate {
  face: FaceObservation;
  frame: ShotFrame;
}

/** A track id generator: `<camera>-<run>-<n>`. */
export function trackIdGenerator(cameraId: string, run = Math.random().toString(36).slice(2, 8).padEnd(6, "0")): () => string {
  let n = 0;
  return () => `${cameraId}-${run}-${(++n).toString(36)}`;
}

export class CameraRunner {
  readonly camera: CameraConfig;
  readonly stats: RunnerStats = {
    framesProcessed: 0,
    facesDetected: 0,
    detectMsTotal: 0,
    analysisErrors: 0,
    tracksStarted: 0,
    tracksConfirmed: 0,
    tracksPublished: 0,
    tracksEnded: 0,
    shotsPublished: 0,
    publishFailures: 0,
    sceneCuts: 0,
  };
  readonly #o: CameraRunnerOptions;
  readonly #tracker: FaceTracker;
  readonly #cuts: SceneCutDetector;
  readonly #shots: BestShotSelector<Candidate>;
  readonly #publisher: OrderedPublisher<AnyEnvelope>;
  readonly #correlation = new Map<string, string>();
  /** FaceDetected queued per live track: the numbering of shots and the count in FaceTrackEnded (the recognizer
   * concludes a track once it has processed that many shots, so only shots really queued count). */
  readonly #queuedShots = new Map<string, number>();
  /** FaceDetected really published per track: FaceTrackEnded counts these (a shot lost while NATS was down is not
   * counted, so the recognizers do not wait for it). */
  readonly #publishedShots = new Map<string, number>();
  readonly #newCorrelationId: () => string;
  #done: Promise<void> | null = null;
  #lastStatus: SourceStatus | null = null;

  constructor(options: CameraRunnerOptions) {
    this.#o = options;
    this.camera = options.camera;
    this.#tracker = new FaceTracker(options.settings.tracker, options.newTrackId ?? trackIdGenerator(options.camera.id));
    this.#shots = new BestShotSelector<Candidate>(options.settings.bestShot);
    this.#cuts = new SceneCutDetector(options.settings.sceneCutThreshold);
    this.#newCorrelationId = options.newCorrelationId ?? randomUUID;
    this.#publisher = new OrderedPublisher<AnyEnvelope>(
      (env) => options.bus.publish(env),
      (env, err) => {
        this.stats.publishFailures++;
        options.metrics?.publishFailures.inc({ camera: this.camera.id });
        options.log.error({ err, type: env?.type, id: env?.id }, "event lost: it could not be published");
      },
    );
  }

  get lastStatus(): SourceStatus | null {
    return this.#lastStatus;
  }

  /** Events waiting for NATS. */
  get pendingEvents(): number {
    return this.#publisher.pending;
  }

  /** Starts the loop (once); the promise resolves when the source has ended, failed or stopped and every event is out. */
  start(): Promise<void> {
    this.#done ??= this.#run();
    return this.#done;
  }

  /** Stops the source; open tracks end with "camera-stopped"; resolves when everything is published. */
  async stop(): Promise<void> {
    await this.#o.source.stop();
    await this.#done;
  }

  async #run(): Promise<void> {
    const { source, analyzer, log, metrics } = this.#o;
    const cam = this.camera.id;
    try {
      for await (const ev of source.events()) {
        if (ev.type === "status") {
          await this.#onStatus(ev.status);
          continue;
        }
        // backpressure: hold this frame until NATS keeps up (the source meanwhile keeps only the newest frame)
        await this.#publisher.waitBelow(this.#o.settings.publishMaxPending);
        let analysis: FrameAnalysis;
        try {
          analysis = await analyzer.analyze(ev.frame);
        } catch (err) {
          this.stats.analysisErrors++;
          if (this.stats.analysisErrors === 1 || this.stats.analysisErrors % 100 === 0) {
            log.error({ err, errors: this.stats.analysisErrors }, "frame analysis failed; the frame is skipped");
          }
          continue;
        }
        await this.#onFrame(ev.frame, analysis);
        if (metrics) {
          metrics.syncSource(cam, source.counters);
          metrics.publishPending.set({ camera: cam }, this.#publisher.pending);
        }
      }
    } catch (err) {
      log.error({ err }, "camera pipeline failed");
      await this.#endAll("camera-stopped").catch(() => undefined);
    } finally {
      await this.#publisher.drain();
      if (metrics) {
        metrics.syncSource(cam, source.counters);
        metrics.publishPending.set({ camera: cam }, 0);
      }
    }
  }

  async #onStatus(status: SourceStatus): Promise<void> {
    const { log, metrics, live, bus } = this.#o;
    this.#lastStatus = status;
    const level = status.state === "failed" ? "error" : status.state === "reconnecting" ? "warn" : "info";
    log[level]({ state: status.state, attempt: status.attempt }, `camera ${status.state}: ${status.message}`);
    metrics?.setState(this.camera.id, status.state);
    if (status.state === "reconnecting") metrics?.reconnects.inc({ camera: this.camera.id });
    live?.status(this.camera.id, status);
    if (status.state !== "starting" && status.state !== "live") {
      // the picture is gone: whoever was in view is no longer followed
      await this.#endAll(status.state === "stopped" ? "camera-stopped" : "source-ended");
      this.#cuts.reset();
    }
    this.#publisher.enqueue(
      bus.envelope("CameraStatusChanged", cameraStatusData(this.camera, status), { occurredAt: new Date(status.at) }),
    );
  }

  async #onFrame(frame: Frame, analysis: FrameAnalysis): Promise<void> {
    const { metrics, live } = this.#o;
    const cam = this.camera.id;
    const s = this.stats;
    s.framesProcessed++;
    s.facesDetected += analysis.faces.length;
    const ms = analysis.detectMs + analysis.alignMs;
    s.detectMsTotal += ms;
    metrics?.frames.inc({ camera: cam, outcome: "processed" });
    metrics?.detectSeconds.observe({ camera: cam }, ms / 1000);
    if (analysis.faces.length > 0) metrics?.faces.inc({ camera: cam }, analysis.faces.length);

    if (frame.replay) {
      // a looped clip starts over: its tracks end as the clip did
      await this.#endAll("source-ended");
      this.#cuts.reset();
    }
    if (this.#cuts.observe(frame)) {
      s.sceneCuts++;
      // another picture: whoever was followed is not the face now at the same place
      await this.#endAll("scene-cut");
    }
    const faces = inZone(analysis.faces, this.camera.zone, frame);
    const update = this.#tracker.update(faces, frame.capturedAt, frame.frameNo);
    s.tracksStarted += update.started.length;
    s.tracksConfirmed += update.confirmed.length;
    if (update.started.length) metrics?.tracks.inc({ camera: cam, event: "started" }, update.started.length);
    if (update.confirmed.length) metrics?.tracks.inc({ camera: cam, event: "confirmed" }, update.confirmed.length);
    const shotFrame: ShotFrame = {
      frameNo: frame.frameNo,
      capturedAt: frame.capturedAt,
      width: frame.width,
      height: frame.height,
    };

    const shots: { track: Track; shot: Shot<Candidate> }[] = [];
    faces.forEach((face, i) => {
      const track = update.assigned[i] as Track;
      const candidate: Candidate = {
        quality: face.quality.score,
        passes: face.gate.pass && face.chip !== null,
        face,
        frame: shotFrame,
      };
      const shot = this.#shots.observe(track.id, candidate, frame.capturedAt, track.confirmed);
      if (shot) shots.push({ track, shot });
    });
    for (const { track, shot } of shots) await this.#publishShot(track, shot);
    for (const t of update.ended) await this.#endTrack(t, "left-view");

    live?.frame(
      cam,
      frame,
      update.assigned.map((t) => ({ trackId: t.id, box: t.box, confirmed: t.confirmed })),
    );
  }

  async #publishShot(track: Track, shot: Shot<Candidate>): Promise<void> {
    const { face, frame } = shot.candidate;
    if (face.chip === null) return;
    let jpeg: Uint8Array;
    try {
      jpeg = await encodeCrop(face.chip, this.#o.settings.cropJpegQuality);
    } catch (err) {
      this.#o.log.error({ err, trackId: track.id }, "crop could not be encoded; shot skipped");
      return;
    }
    const number = (this.#queuedShots.get(track.id) ?? 0) + 1;
    const data = faceDetectedData({ cameraId: this.camera.id, trackId: track.id, shot: number, frame, face, jpeg });
    const trackId = track.id;
    this.#publisher.enqueue(this.#o.bus.envelope("FaceDetected", data, { correlationId: this.#correlationOf(trackId) }), () =>
      this.#publishedShots.set(trackId, (this.#publishedShots.get(trackId) ?? 0) + 1),
    );
    this.#queuedShots.set(track.id, number);
    this.stats.shotsPublished++;
    this.#o.metrics?.shots.inc({ camera: this.camera.id });
    if (number === 1) {
      this.stats.tracksPublished++;
      this.#o.metrics?.tracks.inc({ camera: this.camera.id, event: "published" });
    }
  }

  async #endTrack(track: Track, reason: TrackEndReason): Promise<void> {
    const { shot, stats } = this.#shots.end(track.id, track.confirmed);
    if (shot) await this.#publishShot(track, shot);
    this.stats.tracksEnded++;
    this.#o.metrics?.tracks.inc({ camera: this.camera.id, event: "ended" });
    const queued = this.#queuedShots.get(track.id) ?? 0;
    this.#queuedShots.delete(track.id);
    if (queued > 0) {
      const correlationId = this.#correlationOf(track.id);
      // made when its turn comes, so it counts the shots that were really published
      this.#publisher.enqueue(() => {
        const shots = this.#publishedShots.get(track.id) ?? 0;
        this.#publishedShots.delete(track.id);
        if (shots === 0) return null;
        const data = trackEndedData({
          cameraId: this.camera.id,
          trackId: track.id,
          startedAt: track.startedAt,
          endedAt: track.lastSeenAt,
          frames: track.hits,
          shots,
          bestQuality: stats.bestQuality,
          reason,
        });
        return this.#o.bus.envelope("FaceTrackEnded", data, { correlationId });
      });
    }
    this.#correlation.delete(track.id);
  }

  /** Ends every open track, in order, before whatever is published next. */
  async #endAll(reason: TrackEndReason): Promise<void> {
    for (const t of this.#tracker.endAll()) await this.#endTrack(t, reason);
  }

  #correlationOf(trackId: string): string {
    let c = this.#correlation.get(trackId);
    if (!c) {
      c = this.#newCorrelationId();
      this.#correlation.set(trackId, c);
    }
    return c;
  }
}

/** The faces whose box centre lies inside the zone (fractions of the frame); all of them without a zone. */
export function inZone<T extends { box: { x: number; y: number; width: number; height: number } }>(
  faces: readonly T[],
  zone: CameraConfig["zone"],
  frame: { width: number; height: number },
): readonly T[] {
  if (!zone) return faces;
  return faces.filter((f) => {
    const cx = (f.box.x + f.box.width / 2) / frame.width;
    const cy = (f.box.y + f.box.height / 2) / frame.height;
    return cx >= zone.x && cx <= zone.x + zone.width && cy >= zone.y && cy <= zone.y + zone.height;
  });
}

/** The chip as JPEG, lowering the quality in the (unexpected) case it does not fit an event. */
export async function encodeCrop(chip: RgbImage, quality: number): Promise<Uint8Array> {
  let q = quality;
  for (;;) {
    const jpeg = await encodeJpeg(chip, q);
    if (jpeg.length <= MAX_INLINE_CROP_BYTES || q <= 30) return jpeg;
    q = Math.max(30, q - 20);
  }
}
