import { VOTE_DEFAULTS } from "@persona/recognition";
import { env, defaultStoreUrl } from "@persona/runtime";
import { DEFAULT_EMBEDDER_MODEL } from "@persona/vision";
import { z } from "zod";

/**
 * The recognizer's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService).
 * Thresholds are cosine similarities of L2-normalised embeddings of the chosen model; the defaults suit the default
 * model (fr_feature) and come from the LFW measurements in packages/eval/README.md.
 */
export const configSchema = z.strictObject({
  /** Not read by the recognizer (it keeps nothing in the document store); only accepted and logged at start. */
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  /** Shots (FaceDetected) and track ends handled at once by this replica; enrollment requests have their own loop.
   * Raise it when detections queue up and cores are idle. */
  RECOGNIZER_CONCURRENCY: env.int(2, 1, 64),
  /** The embedding model: fr_feature, dlib-resnet29, faceres, faceres-deep or mobileface (another name fails at start).
   * Only templates of this model are searched; the cameras' CHIP_TEMPLATE must be its chip. */
  RECOGNIZER_MODEL: z.string().default(DEFAULT_EMBEDDER_MODEL),
  /** Embed each chip and its mirror image and fuse the two (2 model runs per face): with fr_feature the open-set
   * DIR at FPIR 1% on LFW rises from 96.8% to 97.1% (packages/eval/README.md). Templates record it ("+flip"). */
  RECOGNIZER_FLIP: env.bool(VOTE_DEFAULTS.flip),
  /** onnxruntime threads per model run (the embedder; for enrollments also the detector and the landmark net); 0 =
   * one per physical core. 1 suits several replicas or services sharing the cores. */
  RECOGNIZER_THREADS: env.int(1, 0, 64),
  /**
   * "auto": enrollment photos are aligned from the 68-point landmark net when the model's template has 68-point
   * targets (dlib), as the cameras do with the same setting; "off": from the detector's 4 keypoints. Cameras and
   * recognizers must agree, or enrolled templates and camera chips are aligned differently.
   */
  ALIGN_LANDMARKS: z.enum(["auto", "off"]).default("auto"),
  /**
   * One shot votes for a person at or above this similarity (and margin). Default: the model's open-set threshold
   * for its mode (single or flip), tuned on LFW DevTrain for 1% false positive identifications.
   */
  RECOGNIZER_NAME_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** A shot alone is reported "probable" at or above this similarity. Default: the model's verification threshold. */
  RECOGNIZER_PROBABLE_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Default: the model's tuned open-set margin. */
  RECOGNIZER_MIN_MARGIN: z.coerce.number().min(0).max(2).optional(),
  /** Agreeing shots a track needs before a name is confirmed. */
  RECOGNIZER_VOTE_MIN_AGREEING: env.int(VOTE_DEFAULTS.minAgreeing, 1, 100),
  /** Share of a track's naming votes the leading person needs to be confirmed; shots that matched nobody do not count
   * in it, and a tie is never named. */
  RECOGNIZER_VOTE_MIN_SHARE: env.num(VOTE_DEFAULTS.minShare, 0.5, 1),
  /** A track with only one shot is named only at or above this similarity. Default: the name threshold + 0.01. */
  RECOGNIZER_SINGLE_SHOT_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Shots that matched nobody a track needs to be concluded "unknown" rather than "undecided" (with any naming votes,
   * also more than those); only "unknown" tracks feed the trainer's unknown class. */
  RECOGNIZER_MIN_UNKNOWN_SHOTS: env.int(VOTE_DEFAULTS.minUnknownShots, 1, 100),
  /**
   * Track fusion: the mean embedding of a track's shots names the track at the naming threshold once it has this
   * many shots and no shot voted for anyone else (0 = off). See @persona/recognition (trackVote.ts).
   */
  RECOGNIZER_FUSED_MIN_SHOTS: env.int(VOTE_DEFAULTS.fusedMinShots, 0, 100),
  /**
   * A track left alone this long is concluded with the shots that arrived, so it never stays open (presence would
   * show the person in view for ever): one that ended with shots that never came (lost on the way), or one whose
   * FaceTrackEnded never came while its camera changed status since (restarted after a kill). Swept every third of it
   * (at most every 10 s) by every replica.
   */
  RECOGNIZER_MISSING_SHOTS_DEADLINE_MS: env.int(30_000, 300, 600_000),
  /** Enrollment: a second face at most this fraction of the main face's area is ignored as background. */
  ENROLL_BACKGROUND_FACE_RATIO: env.num(0.4, 0, 1),
  /** The fast-classifier cascade (models published by the trainer); "off" = embedding path only. */
  RECOGNIZER_CASCADE: z.enum(["on", "off"]).default("on"),
  /** The classifier names a face of a confirmed track only at or above this softmax probability. */
  RECOGNIZER_CASCADE_MIN_PROBABILITY: env.num(0.97, 0, 1),
  /** Every n-th shot of a confirmed track is checked by the embedding path anyway (0 = never forced). */
  RECOGNIZER_CASCADE_EMBEDDING_EVERY: env.int(10, 0, 1000),
});
export type Config = z.infer<typeof configSchema>;
