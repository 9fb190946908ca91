import { runService } from "@persona/bus";
import { CONSUMERS } from "@persona/contracts";
import { Embedder, FaceDetector, embedderSpec } from "@persona/vision";
import { configSchema } from "./config.ts";
import { startEnrollmentHandler } from "./enrollment.ts";
import { templateModelName } from "./faceEmbedding.ts";
import { LibraryGallery } from "./libraryGallery.ts";
import { loadBlob } from "./media.ts";
import { recognitionHandlers } from "./recognition.ts";
import { TrackStore } from "./trackStore.ts";

await runService({
  name: "recognizer",
  config: configSchema,
  async start({ config, log, bus }) {
    const embedder = await Embedder.create({
      model: embedderSpec(config.RECOGNIZER_MODEL),
      flip: config.RECOGNIZER_FLIP,
      intraOpNumThreads: config.RECOGNIZER_THREADS,
    });
    const detector = await FaceDetector.create({ intraOpNumThreads: config.RECOGNIZER_THREADS });
    const modelName = templateModelName(embedder);
    const gallery = new LibraryGallery(modelName, embedder.dims, log.child({ part: "gallery" }));
    await gallery.start(bus.js, bus.jsm);
    const tracks = new TrackStore(await bus.kv("tracks"));
    const detections = CONSUMERS.find((c) => c.durable === "recognizers");
    if (!detections) throw new Error("the topology declares no 'recognizers' consumer");
    await bus.consume({
      consumer: detections,
      concurrency: config.RECOGNIZER_CONCURRENCY,
      handlers: recognitionHandlers({
        bus,
        embedder,
        gallery,
        tracks,
        modelName,
        loadStored: (ref) => loadBlob(bus, ref),
        vote: {
          nameThreshold: config.RECOGNIZER_NAME_THRESHOLD,
          probableThreshold: config.RECOGNIZER_PROBABLE_THRESHOLD,
          minMargin: config.RECOGNIZER_MIN_MARGIN,
          minAgreeing: config.RECOGNIZER_VOTE_MIN_AGREEING,
          minShare: config.RECOGNIZER_VOTE_MIN_SHARE,
          singleShotThreshold: config.RECOGNIZER_SINGLE_SHOT_THRESHOLD,
          minUnknownShots: config.RECOGNIZER_MIN_UNKNOWN_SHOTS,
        },
      }),
    });
    await startEnrollmentHandler({
      bus,
      embedder,
      detector,
      gallery,
      backgroundFaceRatio: config.ENROLL_BACKGROUND_FACE_RATIO,
      loadPhoto: (ref) => loadBlob(bus, ref),
    });
    log.info({ model: modelName, ...gallery.stats }, "recognizer running");
    return {
      checks: [
        {
          name: "gallery",
          check: () => ({ ok: gallery.ready, detail: JSON.stringify(gallery.stats) }),
        },
      ],
      stop: async () => {
        await gallery.stop();
      },
    };
  },
});
