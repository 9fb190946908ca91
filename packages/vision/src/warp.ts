/** Affine warp with bilinear sampling, on OpenCV's `warpAffine` (fixed-point, 1/32 px sub-pixel steps). */
import { imageOf, type Mat, opencv } from "./cv.ts";
import { type ImageSource, toMat } from "./resample.ts";
import type { Affine } from "./similarity.ts";
import type { RgbImage } from "./types.ts";

export interface WarpOptions {
  /** How pixels outside the source are filled: "replicate" the nearest edge pixel (default) or a constant colour. */
  border?: "replicate" | "constant";
  /** Constant border colour. Default [0, 0, 0]. */
  borderValue?: readonly [number, number, number];
}

/** `warpAffine` returning the native `Mat` (for callers that go on in OpenCV). */
export function warpAffineMat(src: ImageSource, m: Affine, width: number, height: number, opts: WarpOptions = {}): Mat {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid warp size ${width}x${height}`);
  }
  if (!m.every(Number.isFinite)) throw new RangeError("warp transform is not finite");
  const cv = opencv();
  const t = new cv.Mat(
    [
      [m[0], m[1], m[2]],
      [m[3], m[4], m[5]],
    ],
    cv.CV_64F,
  );
  const replicate = (opts.border ?? "replicate") === "replicate";
  const [r, g, b] = opts.borderValue ?? [0, 0, 0];
  return toMat(src).warpAffine(
    t,
    new cv.Size(width, height),
    cv.INTER_LINEAR,
    replicate ? cv.BORDER_REPLICATE : cv.BORDER_CONSTANT,
    new cv.Vec3(r, g, b),
  );
}

/**
 * Produces a `width`x`height` RGB image whose pixel (u, v) samples `src` at M^-1 (u, v), where `m` maps source
 * coordinates to destination coordinates (OpenCV `warpAffine` convention, pixel centres at integers).
 */
export function warpAffine(src: ImageSource, m: Affine, width: number, height: number, opts: WarpOptions = {}): RgbImage {
  return imageOf(warpAffineMat(src, m, width, height, opts));
}
