/** Detection -> alignment -> quality for one frame. */
import { alignFace, type AlignOptions } from "./alignment.ts";
import type { DetectOptions } from "./detect-options.ts";
import type { FaceDetector } from "./detector.ts";
import { alignFace68, type LandmarkDetector } from "./landmarks.ts";
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
import type { Box, Detection, FaceKeypoints, Point, RgbImage } from "./types.ts";

export interface DetectAndAlignOptions {
  /** A loaded detector (`await FaceDetector.create(...)`); shared across calls. */
  detector: FaceDetector;
  /** Detector options for this call (merged over the detector's defaults). */
  detect?: DetectOptions;
  /** Chip template. Default `ARCFACE_112`. */
  template?: AlignmentTemplate;
  /**
   * A loaded 68-point landmark net: faces are aligned from its landmarks (dlib's 51-point fit) when the template has
   * 68-point targets (dlib templates), else from the detector's keypoints. Default none (keypoints).
   */
  landmarks?: LandmarkDetector | null;
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
  const template = opts.template ?? ARCFACE_112;
  const landmarkPoints =
    opts.landmarks && template.landmarks68 && dets.length > 0
      ? await opts.landmarks.detect(
          image,
          dets.map((d) => d.keypoints),
        )
      : undefined;
  return alignDetections(image, dets, { ...opts, ...(landmarkPoints ? { landmarkPoints } : {}) });
}

/** The synchronous part of `detectAndAlign`, for detections you already have (e.g. from a tracker). */
export function alignDetections(
  image: RgbImage,
  dets: readonly Detection[],
  opts: Omit<DetectAndAlignOptions, "detector" | "detect" | "landmarks"> & {
    /** 68 landmarks of each detection (same order; `LandmarkDetector.detect`): align from them instead. */
    landmarkPoints?: readonly (readonly Point[] | undefined)[];
  },
): AlignedDetection[] {
  const template = opts.template ?? ARCFACE_112;
  const out: AlignedDetection[] = [];
  for (const [i, d] of dets.entries()) {
    const points = opts.landmarkPoints?.[i];
    const aligned = points
      ? alignFace68(image, points, template, opts.align)
      : alignFace(image, d.keypoints, template, opts.align);
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
