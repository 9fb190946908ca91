/** Settings of the fast classifier's training (part of the trainer's config schema). */
import { join } from "node:path";
import { dataDir, env } from "@persona/runtime";
import { DEFAULT_EMBEDDER_MODEL } from "@persona/vision";
import { z } from "zod";
import { ACCEPT_DEFAULTS } from "./classifier/evaluate.ts";
import type { TrainerSettings } from "./trainerService.ts";

export const classifierConfigShape = {
  /** Where the crop bank and the visitor book are kept (a cache: rebuilt from the streams when missing). Default
   * `<PERSONA_DATA_DIR>/trainer`. */
  TRAINER_DATA_DIR: z.string().default(() => join(dataDir(), "trainer")),
  /** Quiet time after an enrollment (or removal) before a run starts. */
  TRAINER_DEBOUNCE_SECONDS: env.int(60, 0, 86400),
  /** The lease expires this long after its holder's last renewal (renewed every third of it). */
  TRAINER_LEASE_TTL_SECONDS: env.int(30, 1, 3600),
  /** Passes over the training crops per run (each run trains a new model from scratch, no early stop): run time
   * grows with it. */
  TRAINER_EPOCHS: env.int(25, 1, 1000),
  /** Niceness of the training process (0..19; 19 = lowest priority). */
  TRAINER_NICE: env.int(19, 0, 19),
  /** Crops banked per person (about 4.6 KB each, in memory and in crops.bin); beyond it the oldest self-learned
   * one goes, enrollment and operator crops only when nothing else is left. */
  TRAINER_MAX_PER_PERSON: env.int(200, 4, 10000),
  /** Crops banked for the "unknown" class (from tracks the recognizer concluded unknown); beyond it the oldest goes. */
  TRAINER_MAX_UNKNOWN: env.int(600, 4, 100000),
  /** A person becomes a class once this many crops of them are banked. */
  TRAINER_MIN_PER_PERSON: env.int(8, 2, 1000),
  /** Softmax probability at which the metrics count a face as decided (match RECOGNIZER_CASCADE_MIN_PROBABILITY). */
  TRAINER_MIN_PROBABILITY: env.num(0.97, 0, 1),
  /** How much lower than the current model's (same validation crops) a new model's metrics may be. */
  TRAINER_ACCEPT_TOLERANCE: env.num(ACCEPT_DEFAULTS.tolerance, 0, 1),
  /** A model is published only when at least this share of known people's validation crops have their own person
   * as top class (every run, not only the first). */
  TRAINER_MIN_ACCURACY: env.num(ACCEPT_DEFAULTS.minAccuracy, 0, 1),
  /** ...and at least this share of unknown validation crops are not named (top class unknown, or under
   * TRAINER_MIN_PROBABILITY). Without unknown crops the share counts as 1: it always passes. */
  TRAINER_MIN_UNKNOWN_REJECTION: env.num(ACCEPT_DEFAULTS.minUnknownRejection, 0, 1),
  /** The embedding model whose chips (template) the classifier is trained on; recognizers of another model ignore it. */
  TRAINER_EMBEDDING_MODEL: z.string().default(DEFAULT_EMBEDDER_MODEL),
};

type ClassifierConfig = { [K in keyof typeof classifierConfigShape]: z.infer<(typeof classifierConfigShape)[K]> };

export function trainerSettings(c: ClassifierConfig & { TRAINER_SCHEDULE_MINUTES: number }): TrainerSettings {
  return {
    dataDir: c.TRAINER_DATA_DIR,
    scheduleMinutes: c.TRAINER_SCHEDULE_MINUTES,
    debounceSeconds: c.TRAINER_DEBOUNCE_SECONDS,
    leaseTtlSeconds: c.TRAINER_LEASE_TTL_SECONDS,
    epochs: c.TRAINER_EPOCHS,
    nice: c.TRAINER_NICE,
    minPerPerson: c.TRAINER_MIN_PER_PERSON,
    minProbability: c.TRAINER_MIN_PROBABILITY,
    embeddingModel: c.TRAINER_EMBEDDING_MODEL,
    limits: { maxPerPerson: c.TRAINER_MAX_PER_PERSON, maxUnknown: c.TRAINER_MAX_UNKNOWN },
    accept: {
      ...ACCEPT_DEFAULTS,
      tolerance: c.TRAINER_ACCEPT_TOLERANCE,
      minAccuracy: c.TRAINER_MIN_ACCURACY,
      minUnknownRejection: c.TRAINER_MIN_UNKNOWN_REJECTION,
    },
  };
}
