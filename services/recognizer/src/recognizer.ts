import type { Bus } from "@persona/bus";
import { CONSUMERS } from "@persona/contracts";
import { type VoteOptions, voteOptions as voteOptionsOf } from "@persona/recognition";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { Embedder, type EmbedderSpec, FaceDetector, LandmarkDetector, embedderSpec, templateModelName } from "@persona/vision";
import type { Config } from "./config.ts";
import { AlignmentWatch } from "./alignmentWatch.ts";
import { Cascade } from "./cascade.ts";
import { startEnrollmentHandler } from "./enrollment.ts";

import { LibraryGallery } from "@persona/recognition/gallery";
import { loadBlob } from "./media.ts";
import { recognitionHandlers } from "./recognition.ts";
import { watchThresholds } from "./thresholdWatch.ts";
import { TrackStore } from "./trackStore.ts";
import { startTrackSweeper } from "./trackSweeper.ts";

export type RecognizerSettings = Omit<Config, "STORE_URL">;

/** The voting thresholds from the RECOGNIZER_* settings (@persona/recognition's `voteOptions`: unset ones from the model). */
export function voteOptions(s: RecognizerSettings, spec: EmbedderSpec): VoteOptions {
  return voteOptionsOf(spec, {
    flip: s.RECOGNIZER_FLIP,
    nameThreshold: s.RECOGNIZER_NAME_THRESHOLD,
    probableThreshold: s.RECOGNIZER_PROBABLE_THRESHOLD,
    minMargin: s.RECOGNIZER_MIN_MARGIN,
    minAgreeing: s.RECOGNIZER_VOTE_MIN_AGREEING,
    minShare: s.RECOGNIZER_VOTE_MIN_SHARE,
    singleShotThreshold: s.RECOGNIZER_SINGLE_SHOT_THRESHOLD,
    minUnknownShots: s.RECOGNIZER_MIN_UNKNOWN_SHOTS,
    fusedMinShots: s.RECOGNIZER_FUSED_MIN_SHOTS,
  });
}

/** An admin's threshold for this model and mode (console) replaces the settings' in `vote`, in place. */
async function followAdminThresholds(bus: Bus, s: RecognizerSettings, spec: EmbedderSpec, vote: VoteOptions, log: Logger) {
  return watchThresholds({
    kv: await bus.kv("config"),
    model: spec.name,
    mode: s.RECOGNIZER_FLIP ? "flip" : "single",
    vote,
    optionsFor: (override) =>
      voteOptions(
        {
          ...s,
          RECOGNIZER_NAME_THRESHOLD: override?.nameThreshold ?? s.RECOGNIZER_NAME_THRESHOLD,
          RECOGNIZER_MIN_MARGIN: override?.minMargin ?? s.RECOGNIZER_MIN_MARGIN,
        },
        spec,
      ),
    log: log.child({ part: "thresholds" }),
  });
}

export interface RunningRecognizer {
  gallery: LibraryGallery;
  /** Chips from cameras that align otherwise than this recognizer. */
  alignment: AlignmentWatch;
  checks: ReadinessCheck[];
  /** The fast-classifier cascade, when RECOGNIZER_CASCADE=on. */
  cascade?: Cascade;
  stop(): Promise<void>;
}

/**
 * Wires one recognizer replica onto a bus: models, the gallery replayed from LIBRARY, the detections work queue
 * and the enrollment commands. Used by main.ts and by tests that run the real recognizer in-process.
 */
export async function startRecognizer(bus: Bus, s: RecognizerSettings, log: Logger): Promise<RunningRecognizer> {
  const embedder = await Embedder.create({
    model: embedderSpec(s.RECOGNIZER_MODEL),
    flip: s.RECOGNIZER_FLIP,
    intraOpNumThreads: s.RECOGNIZER_THREADS,
  });
  const detector = await FaceDetector.create({ intraOpNumThreads: s.RECOGNIZER_THREADS });
  const landmarks =
    s.ALIGN_LANDMARKS === "auto" && embedder.template.landmarks68
      ? await LandmarkDetector.create({ intraOpNumThreads: s.RECOGNIZER_THREADS })
      : null;
  const modelName = templateModelName(embedder);
  const own = landmarks
    ? "landmarks68"
    : detector.kind === "yunet" && "mouthRight" in embedder.template.points
      ? "keypoints5"
      : "keypoints";
  const alignment = new AlignmentWatch(own, log.child({ part: "alignment" }));
  const vote = voteOptions(s, embedder.spec);
  const thresholds = await followAdminThresholds(bus, s, embedder.spec, vote, log);
  const gallery = new LibraryGallery(modelName, embedder.dims, log.child({ part: "gallery" }));
  await gallery.start(bus.js, bus.jsm);
  const detections = CONSUMERS.find((c) => c.durable === "recognizers");
  if (!detections) throw new Error("the topology declares no 'recognizers' consumer");
  const tracks = new TrackStore(await bus.kv("tracks"));
  let cascade: Cascade | undefined;
  if (s.RECOGNIZER_CASCADE === "on") {
    cascade = new Cascade(
      tracks,
      vote,
      { minProbability: s.RECOGNIZER_CASCADE_MIN_PROBABILITY, embeddingEvery: s.RECOGNIZER_CASCADE_EMBEDDING_EVERY },
      modelName,
      log.child({ part: "cascade" }),
    );
    await cascade.start(bus);
  }
  const recognition = recognitionHandlers({
    bus,
    embedder,
    gallery,
    tracks,
    modelName,
    loadStored: (ref) => loadBlob(bus, ref),
    vote,
    alignment,
    ...(cascade ? { cascade } : {}),
    log: log.child({ part: "tracks" }),
  });
  const loops = [
    await bus.consume({
      consumer: detections,
      concurrency: s.RECOGNIZER_CONCURRENCY,
      handlers: { FaceDetected: recognition.FaceDetected, FaceTrackEnded: recognition.FaceTrackEnded },
    }),
    await startEnrollmentHandler({
      bus,
      embedder,
      detector,
      landmarks,
      gallery,
      backgroundFaceRatio: s.ENROLL_BACKGROUND_FACE_RATIO,
      duplicateThreshold: vote.nameThreshold,
      loadPhoto: (ref) => loadBlob(bus, ref),
    }),
  ];
  // tracks that would stay open for ever (shots lost, FaceTrackEnded lost with a killed camera), found in the shared
  // states by any replica: concluded with what arrived once left alone for the deadline
  const deadlineMs = s.RECOGNIZER_MISSING_SHOTS_DEADLINE_MS;
  const sweeper = startTrackSweeper({
    open: () => tracks.open(),
    cameraStatusAt: async (cameraId) => {
      const last = await bus.last("CameraStatusChanged", `system.camera.${cameraId}.status`);
      return last ? new Date(last.occurredAt) : null;
    },
    conclude: recognition.concludeStale,
    options: { deadlineMs },
    intervalMs: Math.min(10_000, Math.max(100, Math.round(deadlineMs / 3))),
    log: log.child({ part: "sweeper" }),
  });
  if (detector.note) log.warn({ detector: detector.kind }, detector.note);
  log.info(
    {
      model: modelName,
      detector: detector.kind,
      alignment: own,
      vote,
      ...gallery.stats,
    },
    "recognizer running",
  );
  return {
    gallery,
    alignment,
    ...(cascade ? { cascade } : {}),
    checks: [
      { name: "gallery", check: () => ({ ok: gallery.ready, detail: JSON.stringify(gallery.stats) }) },
      // informational: a camera aligning otherwise makes recognition weaker, not impossible
      {
        name: "alignment",
        check: () => ({ ok: true, detail: JSON.stringify({ own: alignment.own, mismatched: alignment.mismatched }) }),
      },
      ...(cascade ? [{ name: "cascade", check: () => ({ ok: true, detail: JSON.stringify(cascade.stats) }) }] : []),
    ],
    async stop() {
      thresholds.stop();
      for (const l of loops) await l.stop();
      await sweeper.stop();
      await cascade?.stop();
      await gallery.stop();
      await embedder.dispose();
      await detector.dispose();
      await landmarks?.dispose();
    },
  };
}
