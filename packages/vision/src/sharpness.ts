/** Image sharpness measures on RGB chips. Pure functions. */
import { assertRgbImage, type RgbImage } from "./types.ts";

/** BT.601 luma of an RGB image as Float32 (0..255). */
export function toGray(img: RgbImage): Float32Array {
  assertRgbImage(img);
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    out[i] = 0.299 * (d[p] as number) + 0.587 * (d[p + 1] as number) + 0.114 * (d[p + 2] as number);
  }
  return out;
}

/**
 * Variance of the 4-neighbour Laplacian ([0 1 0; 1 -4 1; 0 1 0]) of the grayscale image, over the central
 * `region` fraction of each side (default 0.7: the face, not the chip's background corners). The common
 * "variance of Laplacian" focus measure: blur lowers it; noise raises it. Scale dependent: compare chips of one size.
 */
export function laplacianVariance(img: RgbImage, region = 0.7): number {
  const g = toGray(img);
  const w = img.width;
  const h = img.height;
  const r = Math.min(1, Math.max(0.05, region));
  const x0 = Math.max(1, Math.floor((w * (1 - r)) / 2));
  const y0 = Math.max(1, Math.floor((h * (1 - r)) / 2));
  const x1 = Math.min(w - 1, w - x0);
  const y1 = Math.min(h - 1, h - y0);
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * w + x;
      const l = (g[i - 1] as number) + (g[i + 1] as number) + (g[i - w] as number) + (g[i + w] as number) - 4 * (g[i] as number);
      sum += l;
      sum2 += l * l;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return Math.max(0, sum2 / n - mean * mean);
}
