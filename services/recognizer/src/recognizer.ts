import type { Bus } from "@persona/bus";
import { CONSUMERS } from "@persona/contracts";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { Embedder, FaceDetector, embedderSpec } from "@persona/vision";
import type { Config } from "./config.ts";
import { startEnrollmentHandler } from "./enrollment.ts";
import { templateModelName } from "./faceEmbedding.ts";
import { LibraryGallery } from "./libraryGallery.ts";
import { loadBlob } from "./media.ts";
import { recognitionHandlers } from "./recognition.ts";
import { TrackStore } from "./trackStore.ts";

export type RecognizerSettings = Omit<Config, "STORE_URL">;

export interface RunningRecognizer {
  gallery: LibraryGallery;
  checks: ReadinessCheck[];
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
  const modelName = templateModelName(embedder);
  const gallery = new LibraryGallery(modelName, embedder.dims, log.child({ part: "gallery" }));
  await gallery.start(bus.js, bus.jsm);
  const detections = CONSUMERS.find((c) => c.durable === "recognizers");
  if (!detections) throw new Error("the topology declares no 'recognizers' consumer");
  const loops = [
    await bus.consume({
      consumer: detections,
      concurrency: s.RECOGNIZER_CONCURRENCY,
      handlers: recognitionHandlers({
        bus,
        embedder,
        gallery,
        tracks: new TrackStore(await bus.kv("tracks")),
        modelName,
        loadStored: (ref) => loadBlob(bus, ref),
        vote: {
          nameThreshold: s.RECOGNIZER_NAME_THRESHOLD,
          probableThreshold: s.RECOGNIZER_PROBABLE_THRESHOLD,
          minMargin: s.RECOGNIZER_MIN_MARGIN,
          minAgreeing: s.RECOGNIZER_VOTE_MIN_AGREEING,
          minShare: s.RECOGNIZER_VOTE_MIN_SHARE,
          singleShotThreshold: s.RECOGNIZER_SINGLE_SHOT_THRESHOLD,
          minUnknownShots: s.RECOGNIZER_MIN_UNKNOWN_SHOTS,
        },
      }),
    }),
    await startEnrollmentHandler({
      bus,
      embedder,
      detector,
      gallery,
      backgroundFaceRatio: s.ENROLL_BACKGROUND_FACE_RATIO,
      loadPhoto: (ref) => loadBlob(bus, ref),
    }),
  ];
  log.info({ model: modelName, ...gallery.stats }, "recognizer running");
  return {
    gallery,
    checks: [{ name: "gallery", check: () => ({ ok: gallery.ready, detail: JSON.stringify(gallery.stats) }) }],
    async stop() {
      for (const l of loops) await l.stop();
      await gallery.stop();
      await embedder.dispose();
      await detector.dispose();
    },
  };
}
