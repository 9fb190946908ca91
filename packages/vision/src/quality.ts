/**
 * Face quality: size, sharpness, pose and detector confidence, each scored in [0, 1] and combined into one score,
 * plus a gate with readable reasons. Pure functions (given an image), thresholds in options with documented defaults.
 *
 * Reference points: recognition is reliable from ~160 px faces / ~50 px between the eyes; below ~12-16 px between the
 * eyes BlazeFace's keypoints (and any 112 px embedding) carry little identity. The gate is deliberately lenient
 * (14 px) so that tracking can still collect faces that later improve; use the score to rank and choose.
 *
 * Sharpness is measured on a canonical chip (ArcFace 112x112 alignment, central 70%), whatever chip a recognizer
 * uses, so its thresholds do not depend on the recognizer. Calibration on 60 LFW faces (~105 px boxes, JPEG):
 * variance of Laplacian median 142 (p10 82) as is, 75 after a Gaussian blur of sigma 1 px, 24 at sigma 2, 10 at
 * sigma 3. Small faces upscaled into the chip score low too: that is intended (little detail either way).
 */
import { alignFace } from "./alignment.ts";
import { estimatePose, type HeadPose } from "./pose.ts";
import { laplacianVariance } from "./sharpness.ts";
import { ARCFACE_112 } from "./templates.ts";
import type { Detection, RgbImage } from "./types.ts";

export interface FaceQuality {
  /** max(box width, height) in image pixels. */
  readonly faceSize: number;
  /** Distance between the eye keypoints in image pixels. */
  readonly eyeDistance: number;
  /** Variance of Laplacian on the canonical 112x112 chip. */
  readonly sharpness: number;
  readonly pose: HeadPose;
  readonly detectorScore: number;
  /** Component scores in [0, 1]. */
  readonly scores: { readonly size: number; readonly sharpness: number; readonly pose: number; readonly detector: number };
  /** Weighted geometric mean of the component scores, in [0, 1]. */
  readonly score: number;
}

export interface QualityOptions {
  /** Eye distance (px) scoring 0 on the size axis; also the gate's minimum. Default 14. */
  minEyeDistance?: number;
  /** Eye distance (px) scoring 1 (the literature's ~50 px for reliable recognition). Default 50. */
  goodEyeDistance?: number;
  /** Sharpness at which the sharpness score is 0.5 (score = v / (v + half)). Default 50. */
  sharpnessHalf?: number;
  /** Yaw (deg) at which the pose score reaches 0 (score = 1 - (yaw / max)^2 ...). Default 60. */
  yawLimit?: number;
  /** Pitch (deg) at which the pose score reaches 0. Default 50. */
  pitchLimit?: number;
  /** Detector scores mapped linearly from [low, high] to [0, 1]. Default [0.5, 0.9]. */
  detectorRange?: readonly [number, number];
  /** Exponents of the weighted geometric mean (normalised to sum 1). Default size 0.35, sharpness 0.25, pose 0.3,
   * detector 0.1. */
  weights?: { size?: number; sharpness?: number; pose?: number; detector?: number };
}

export const QUALITY_DEFAULTS = {
  minEyeDistance: 14,
  goodEyeDistance: 50,
  sharpnessHalf: 50,
  yawLimit: 60,
  pitchLimit: 50,
  detectorRange: [0.5, 0.9] as const,
  weights: { size: 0.35, sharpness: 0.25, pose: 0.3, detector: 0.1 },
} satisfies Required<QualityOptions>;

/** The chip quality's sharpness is measured on. */
export const QUALITY_TEMPLATE = ARCFACE_112;

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : Number.isFinite(v) ? v : 0);

/**
 * Assesses one detected face. `canonicalChip` may be passed when the caller already aligned the face with
 * `QUALITY_TEMPLATE` (saves one 112x112 warp, ~0.1 ms).
 */
export function assessQuality(image: RgbImage, det: Detection, opts: QualityOptions = {}, canonicalChip?: RgbImage): FaceQuality {
  const chip = canonicalChip ?? alignFace(image, det.keypoints, QUALITY_TEMPLATE).chip;
  return scoreQuality(
    {
      faceSize: Math.max(det.box.width, det.box.height),
      eyeDistance: Math.hypot(
        det.keypoints.leftEye.x - det.keypoints.rightEye.x,
        det.keypoints.leftEye.y - det.keypoints.rightEye.y,
      ),
      sharpness: laplacianVariance(chip),
      pose: estimatePose(det.keypoints),
      detectorScore: det.score,
    },
    opts,
  );
}

/** Scores measured quality attributes (the part of `assessQuality` that needs no pixels). */
export function scoreQuality(
  m: Pick<FaceQuality, "faceSize" | "eyeDistance" | "sharpness" | "pose" | "detectorScore">,
  opts: QualityOptions = {},
): FaceQuality {
  const o = { ...QUALITY_DEFAULTS, ...opts, weights: { ...QUALITY_DEFAULTS.weights, ...opts.weights } };
  const size = clamp01(Math.log(m.eyeDistance / o.minEyeDistance) / Math.log(o.goodEyeDistance / o.minEyeDistance));
  const sharpness = clamp01(m.sharpness / (m.sharpness + o.sharpnessHalf));
  const pose = clamp01(1 - (m.pose.yaw / o.yawLimit) ** 2) * clamp01(1 - (m.pose.pitch / o.pitchLimit) ** 2);
  const [lo, hi] = o.detectorRange;
  const detector = clamp01((m.detectorScore - lo) / (hi - lo));
  const w = o.weights;
  const wsum = w.size + w.sharpness + w.pose + w.detector;
  const parts: [number, number][] = [
    [size, w.size],
    [sharpness, w.sharpness],
    [pose, w.pose],
    // the detector axis never zeroes the product: a face that passed the detector threshold is a face
    [0.25 + 0.75 * detector, w.detector],
  ];
  let logSum = 0;
  for (const [v, wi] of parts) {
    if (wi === 0) continue;
    if (v <= 0) {
      logSum = Number.NEGATIVE_INFINITY;
      break;
    }
    logSum += (wi / wsum) * Math.log(v);
  }
  return { ...m, scores: { size, sharpness, pose, detector }, score: clamp01(Math.exp(logSum)) };
}

export interface GateOptions {
  /** Default 14 px (see the module comment). */
  minEyeDistance?: number;
  /** Default 20 px. */
  minFaceSize?: number;
  /** Default 8 (a sigma ~3 px blur of a 100 px face). */
  minSharpness?: number;
  /** Default 45 degrees. */
  maxYaw?: number;
  /** Default 35 degrees. */
  maxPitch?: number;
  /** Default 50 degrees (alignment removes roll; beyond this the keypoints are suspect). */
  maxRoll?: number;
  /** Minimum detector score. Default 0.5. */
  minDetectorScore?: number;
  /** Minimum combined score. Default 0.2. */
  minScore?: number;
}

export const GATE_DEFAULTS: Required<GateOptions> = {
  minEyeDistance: 14,
  minFaceSize: 20,
  minSharpness: 8,
  maxYaw: 45,
  maxPitch: 35,
  maxRoll: 50,
  minDetectorScore: 0.5,
  minScore: 0.2,
};

export type GateResult = { readonly pass: true } | { readonly pass: false; readonly reason: string };

/** Checks a quality against hard limits; the first failing check gives the reason. */
export function qualityGate(q: FaceQuality, opts: GateOptions = {}): GateResult {
  const o = { ...GATE_DEFAULTS, ...opts };
  const f = (v: number, d = 1) => v.toFixed(d);
  if (q.faceSize < o.minFaceSize) return { pass: false, reason: `face too small: ${f(q.faceSize)} px < ${o.minFaceSize} px` };
  if (q.eyeDistance < o.minEyeDistance) {
    return { pass: false, reason: `eyes too close: ${f(q.eyeDistance)} px apart < ${o.minEyeDistance} px` };
  }
  if (q.detectorScore < o.minDetectorScore) {
    return { pass: false, reason: `low detector score: ${f(q.detectorScore, 2)} < ${o.minDetectorScore}` };
  }
  if (Math.abs(q.pose.yaw) > o.maxYaw) return { pass: false, reason: `head turned: yaw ${f(q.pose.yaw)} deg, limit ${o.maxYaw}` };
  if (Math.abs(q.pose.pitch) > o.maxPitch) {
    return { pass: false, reason: `head tilted up/down: pitch ${f(q.pose.pitch)} deg, limit ${o.maxPitch}` };
  }
  if (Math.abs(q.pose.roll) > o.maxRoll)
    return { pass: false, reason: `head rolled: roll ${f(q.pose.roll)} deg, limit ${o.maxRoll}` };
  if (q.sharpness < o.minSharpness) return { pass: false, reason: `blurred: sharpness ${f(q.sharpness)} < ${o.minSharpness}` };
  if (q.score < o.minScore) return { pass: false, reason: `low quality score: ${f(q.score, 2)} < ${o.minScore}` };
  return { pass: true };
}

/** A quality flattened to finite numbers (score clamped to [0, 1]): the shape events carry. */
export interface QualitySummary {
  score: number;
  faceSize: number;
  eyeDistance: number;
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
}

export function qualitySummary(q: FaceQuality): QualitySummary {
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  return {
    score: Math.min(1, Math.max(0, finite(q.score))),
    faceSize: Math.max(0, finite(q.faceSize)),
    eyeDistance: Math.max(0, finite(q.eyeDistance)),
    sharpness: Math.max(0, finite(q.sharpness)),
    yaw: finite(q.pose.yaw),
    pitch: finite(q.pose.pitch),
    roll: finite(q.pose.roll),
  };
}
