/** Image sharpness measures on RGB chips, on OpenCV. Pure functions. */
import { matOf, opencv } from "./cv.ts";
import { assertRgbImage, type RgbImage } from "./types.ts";

/**
 * Variance of the 4-neighbour Laplacian ([0 1 0; 1 -4 1; 0 1 0]) of the BT.601 luma (float, not rounded), over the
 * central `region` fraction of each side (default 0.7: the face, not the chip's background corners). The common
 * "variance of Laplacian" focus measure: blur lowers it; noise raises it. Scale dependent: compare chips of one size.
 */
export function laplacianVariance(img: RgbImage, region = 0.7): number {
  assertRgbImage(img);
  const w = img.width;
  const h = img.height;
  const r = Math.min(1, Math.max(0.05, region));
  const x0 = Math.max(1, Math.floor((w * (1 - r)) / 2));
  const y0 = Math.max(1, Math.floor((h * (1 - r)) / 2));
  const x1 = Math.min(w - 1, w - x0);
  const y1 = Math.min(h - 1, h - y0);
  if (x1 <= x0 || y1 <= y0) return 0;
  const cv = opencv();
  // the Laplacian of the whole chip, then the statistics of the region: its border pixels see real neighbours
  const lap = matOf(img).convertTo(cv.CV_32FC3).cvtColor(cv.COLOR_RGB2GRAY).laplacian(cv.CV_32F, 1);
  const { stddev } = lap.getRegion(new cv.Rect(x0, y0, x1 - x0, y1 - y0)).meanStdDev();
  const sd = stddev.at(0, 0) as unknown as number;
  return sd * sd;
}
