/** Face alignment: similarity fit of detected keypoints onto a template, then a bilinear warp into the chip. */
import { regionOf } from "./cv.ts";
import { resizeMat, toMat } from "./resample.ts";
import { affineScale, applyAffine, estimateSimilarity, type Affine } from "./similarity.ts";
import type { AlignmentTemplate } from "./templates.ts";
import type { FaceKeypoints, KeypointName, Point, RgbImage } from "./types.ts";
import { warpAffine, type WarpOptions } from "./warp.ts";

export interface AlignOptions extends WarpOptions {
  /** When the chip is more than 2x smaller than the face in the image, area-average the face region first so the
   * bilinear warp does not alias. Default true. */
  antialias?: boolean;
}

export interface AlignedFace {
  /** The chip (template.width x template.height RGB). */
  readonly chip: RgbImage;
  /** Image -> chip transform (pixel-centre coordinates; add 0.5 to map detection coordinates consistently). */
  readonly transform: Affine;
  /** Image pixels per chip pixel (1 / scale of `transform`); > 1 means the chip is downsampled from the face. */
  readonly sourcePixelsPerChipPixel: number;
  /** Root-mean-square distance, in chip pixels, between the mapped keypoints and the template (a fit check). */
  readonly residual: number;
  readonly template: string;
}

/**
 * Detection keypoints are continuous coordinates where pixel (i, j) covers [i, i+1) x [j, j+1); templates and the
 * warp use pixel centres at integers. This converts the former to the latter.
 */
export function toCentre(p: Point): Point {
  return { x: p.x - 0.5, y: p.y - 0.5 };
}

/** The image -> chip similarity for `keypoints` and `template` (least squares over the template's points). */
export function alignmentTransform(
  keypoints: FaceKeypoints,
  template: AlignmentTemplate,
): { transform: Affine; residual: number } {
  const names = templateKeypoints(keypoints, template);
  if (names.length < 2) throw new RangeError(`template ${template.name} has fewer than 2 points this detector gives`);
  const src = names.map((n) => toCentre(keypoints[n] as Point));
  const dst = names.map((n) => template.points[n] as Point);
  return fitSimilarity(
    src,
    dst,
    names.map((n) => template.weights?.[n] ?? 1),
  );
}

/**
 * The template's points that `keypoints` has. A template may name both the mouth centre and the two mouth corners:
 * the corners are used when the detector gives them (YuNet; the centre is their mean), the centre otherwise
 * (BlazeFace).
 */
export function templateKeypoints(keypoints: FaceKeypoints, template: AlignmentTemplate): KeypointName[] {
  const names = (Object.keys(template.points) as KeypointName[]).filter((n) => keypoints[n] !== undefined);
  const corners = names.includes("mouthRight") && names.includes("mouthLeft");
  return corners ? names.filter((n) => n !== "mouth") : names;
}

/** "keypoints5" when the fit uses five points (mouth corners given and in the template), else "keypoints". */
export function keypointAlignment(keypoints: FaceKeypoints, template: AlignmentTemplate): "keypoints" | "keypoints5" {
  return templateKeypoints(keypoints, template).includes("mouthRight") ? "keypoints5" : "keypoints";
}

/**
 * The least-squares similarity taking `src` (pixel-centre coordinates) onto `dst`, and the root-mean-square distance
 * between the mapped points and their targets.
 */
export function fitSimilarity(
  src: readonly Point[],
  dst: readonly Point[],
  weights?: readonly number[],
): { transform: Affine; residual: number } {
  const transform = estimateSimilarity(src, dst, weights);
  let se = 0;
  src.forEach((p, i) => {
    const q = applyAffine(transform, p);
    const d = dst[i] as Point;
    se += (q.x - d.x) ** 2 + (q.y - d.y) ** 2;
  });
  return { transform, residual: Math.sqrt(se / src.length) };
}

/** Aligns one face into `template`'s chip. */
export function alignFace(
  image: RgbImage,
  keypoints: FaceKeypoints,
  template: AlignmentTemplate,
  opts: AlignOptions = {},
): AlignedFace {
  const { transform, residual } = alignmentTransform(keypoints, template);
  const s = affineScale(transform);
  const chip = warpToChip(image, transform, template.width, template.height, opts);
  return { chip, transform, sourcePixelsPerChipPixel: 1 / s, residual, template: template.name };
}

/**
 * Warps `image` by the image -> chip similarity `transform` into a `width` x `height` chip, area-averaging first
 * when the chip is more than 2x smaller than its footprint (unless `antialias` is false).
 */
export function warpToChip(image: RgbImage, transform: Affine, width: number, height: number, opts: AlignOptions = {}): RgbImage {
  const s = affineScale(transform);
  if ((opts.antialias ?? true) && s < 0.5) return warpWithPrefilter(image, transform, width, height, s, opts);
  return warpAffine(image, transform, width, height, opts);
}

/** Crop the chip's footprint (with a 2 px guard), area-shrink it so the remaining warp scale is ~1, then warp. */
function warpWithPrefilter(image: RgbImage, m: Affine, w: number, h: number, s: number, opts: WarpOptions): RgbImage {
  // footprint of the chip in the image
  const a = m[0];
  const b = m[3];
  const det = a * a + b * b;
  const inv = (u: number, v: number): Point => {
    const x = u - m[2];
    const y = v - m[5];
    return { x: (a * x + b * y) / det, y: (-b * x + a * y) / det };
  };
  const corners = [inv(-1, -1), inv(w, -1), inv(-1, h), inv(w, h)];
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))) - 2);
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))) - 2);
  const x1 = Math.min(image.width, Math.ceil(Math.max(...corners.map((p) => p.x))) + 3);
  const y1 = Math.min(image.height, Math.ceil(Math.max(...corners.map((p) => p.y))) + 3);
  if (x1 - x0 < 2 || y1 - y0 < 2) return warpAffine(image, m, w, h, opts);
  const cw = x1 - x0;
  const ch = y1 - y0;
  const crop = regionOf(toMat(image), x0, y0, cw, ch);
  const tw = Math.max(2, Math.round(cw * s));
  const th = Math.max(2, Math.round(ch * s));
  const small = resizeMat(crop, tw, th);
  // small pixel centre (i) <-> crop coordinate (i + 0.5) * (cw / tw) - 0.5
  const kx = cw / tw;
  const ky = ch / th;
  // image point p = (x0 + (i + 0.5) * kx - 0.5, ...); chip = m * p
  const m2: Affine = [
    m[0] * kx,
    m[1] * ky,
    m[0] * (x0 + 0.5 * kx - 0.5) + m[1] * (y0 + 0.5 * ky - 0.5) + m[2],
    m[3] * kx,
    m[4] * ky,
    m[3] * (x0 + 0.5 * kx - 0.5) + m[4] * (y0 + 0.5 * ky - 0.5) + m[5],
  ];
  return warpAffine(small, m2, w, h, opts);
}
