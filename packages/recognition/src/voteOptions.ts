/**
 * The track vote's thresholds for a model, pure: the recognizers' settings where given, else the model's values tuned
 * on LFW for its mode (single or flip). The recognizer's config schema (RECOGNIZER_*) takes its defaults from
 * `VOTE_DEFAULTS`, and `persona eval selflearn` builds the same options from them, so both vote alike.
 */
import type { EmbedderSpec } from "@persona/vision";
import type { VoteOptions } from "./trackVote.ts";

/** What the vote is built from: the recognizers' RECOGNIZER_* settings, unset ones undefined. */
export interface VoteSettings {
  /** RECOGNIZER_FLIP: chips are embedded with their mirror image, so the model's "flip" thresholds apply. */
  flip: boolean;
  /** RECOGNIZER_NAME_THRESHOLD; default the model's open-set threshold for its mode. */
  nameThreshold?: number | undefined;
  /** RECOGNIZER_PROBABLE_THRESHOLD; default the model's verification threshold (at most the naming threshold). */
  probableThreshold?: number | undefined;
  /** RECOGNIZER_MIN_MARGIN; default the model's open-set margin (0.015 when it has none). */
  minMargin?: number | undefined;
  /** RECOGNIZER_VOTE_MIN_AGREEING */
  minAgreeing: number;
  /** RECOGNIZER_VOTE_MIN_SHARE */
  minShare: number;
  /** RECOGNIZER_SINGLE_SHOT_THRESHOLD; default the naming threshold + 0.01. */
  singleShotThreshold?: number | undefined;
  /** RECOGNIZER_MIN_UNKNOWN_SHOTS */
  minUnknownShots: number;
  /** RECOGNIZER_FUSED_MIN_SHOTS (0 = no track fusion) */
  fusedMinShots: number;
}

/** The recognizers' production defaults (the RECOGNIZER_* settings left unset). */
export const VOTE_DEFAULTS = {
  flip: true,
  minAgreeing: 2,
  minShare: 0.6,
  minUnknownShots: 1,
  fusedMinShots: 3,
} as const satisfies VoteSettings;

/**
 * The voting thresholds: the settings where given, else the model's values tuned on LFW for its mode (single or
 * flip): naming at the open-set threshold (1% false positive identifications on DevTrain), "probable" at the
 * verification threshold, a one-shot track at the naming threshold + 0.01.
 */
export function voteOptions(spec: Pick<EmbedderSpec, "name" | "thresholds">, s: VoteSettings): VoteOptions {
  const tuned = spec.thresholds[s.flip ? "flip" : "single"];
  const nameThreshold = s.nameThreshold ?? tuned?.openSet.threshold;
  if (nameThreshold === undefined) throw new Error(`model ${spec.name} has no tuned threshold: set RECOGNIZER_NAME_THRESHOLD`);
  return {
    nameThreshold,
    probableThreshold: s.probableThreshold ?? Math.min(nameThreshold, tuned?.verify ?? nameThreshold),
    minMargin: s.minMargin ?? tuned?.openSet.minMargin ?? 0.015,
    minAgreeing: s.minAgreeing,
    minShare: s.minShare,
    singleShotThreshold: s.singleShotThreshold ?? nameThreshold + 0.01,
    minUnknownShots: s.minUnknownShots,
    fusedMinShots: s.fusedMinShots,
  };
}
