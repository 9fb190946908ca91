/** Detection -> alignment -> quality for one frame. */
import { alignFace, type AlignOptions } from "./alignment.ts";
import type { DetectOptions, FaceDetector } from "./detector.ts";
import {
  assessQuality,
  QUALITY_TEMPLATE,
  qualityGate,
  type FaceQuality,
  type GateOptions,
  type GateResult,
  type QualityOptions,
} from "./quality.ts";
import type { Affine } from "./similarity.ts";
import { ARCFACE_112, type AlignmentTemplate } from "./templates.ts";
import type { Box, Detection, FaceKeypoints, RgbImage } from "./types.ts";

export interface DetectAndAlignOptions {
  /** A loaded detector (`await FaceDetector.create(...)`); shared across calls. */
  detector: FaceDetector;
  /** Detector options for this call (merged over the detector's defaults). */
  detect?: DetectOptions;
  /** Chip template. Default `ARCFACE_112`. */
  template?: AlignmentTemplate;
  align?: AlignOptions;
  quality?: QualityOptions;
  gate?: GateOptions;
  /** Drop faces that fail the gate instead of returning them with `gate.pass === false`. Default false. */
  onlyPassing?: boolean;
}

export interface AlignedDetection {
  readonly box: Box;
  readonly keypoints: FaceKeypoints;
  readonly score: number;
  readonly quality: FaceQuality;
  readonly gate: GateResult;
  /** Aligned RGB chip, `chip.width` x `chip.height` (the template's size). */
  readonly chip: RgbImage;
  /** Image -> chip similarity. */
  readonly transform: Affine;
  readonly template: string;
}

/** Detects faces in an RGB image, aligns each into the template's chip and assesses its quality. Best score first. */
export async function detectAndAlign(image: RgbImage, opts: DetectAndAlignOptions): Promise<AlignedDetection[]> {
  const dets = await opts.detector.detect(image, opts.detect);
  return alignDetections(image, dets, opts);
}

/** The synchronous part of `detectAndAlign`, for detections you already have (e.g. from a tracker). */
export function alignDetections(
  image: RgbImage,
  dets: readonly Detection[],
  opts: Omit<DetectAndAlignOptions, "detector" | "detect">,
): AlignedDetection[] {
  const template = opts.template ?? ARCFACE_112;
  const out: AlignedDetection[] = [];
  for (const d of dets) {
    const aligned = alignFace(image, d.keypoints, template, opts.align);
    const canonical = template === QUALITY_TEMPLATE ? aligned.chip : undefined;
    const quality = assessQuality(image, d, opts.quality, canonical);
    const gate = qualityGate(quality, opts.gate);
    if (opts.onlyPassing && !gate.pass) continue;
    out.push({
      box: d.box,
      keypoints: d.keypoints,
      score: d.score,
      quality,
      gate,
      chip: aligned.chip,
      transform: aligned.transform,
      template: aligned.template,
    });
  }
  return out;
}
