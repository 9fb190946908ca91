/**
 * Recognition thresholds an admin sets at run time (console: Settings -> Recognition), per embedding model and mode:
 * KV `config` key `thresholds.<model>.<mode>`. Recognizers running that model and mode follow it at once (in place of
 * RECOGNIZER_NAME_THRESHOLD / RECOGNIZER_MIN_MARGIN and the model's tuned defaults); deleting it restores those.
 */
import { z } from "zod";

export const THRESHOLD_MODES = ["single", "flip"] as const;
export type ThresholdMode = (typeof THRESHOLD_MODES)[number];

export const thresholdKey = (model: string, mode: ThresholdMode): string => `thresholds.${model}.${mode}`;

export const ThresholdOverride = z.strictObject({
  /** A shot votes for a person at or above this cosine similarity (and the margin). */
  nameThreshold: z.number().min(-1).max(1),
  /** Minimum lead over the next person; absent: the recognizers' setting or the model's tuned margin. */
  minMargin: z.number().min(0).max(2).optional(),
  updatedAt: z.string(),
  updatedBy: z.string().max(200),
});
export type ThresholdOverride = z.infer<typeof ThresholdOverride>;
