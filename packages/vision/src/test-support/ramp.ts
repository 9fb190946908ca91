import type { RgbImage } from "../types.ts";

/**
 * A `width` x `height` image whose red is `rPerX * x` and green `gPerY * y` (blue 0): a linear ramp, where a resampler
 * or a warp reads back the source position it sampled.
 */
export function rampImage(width: number, height: number, rPerX: number, gPerY: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[(y * width + x) * 3] = rPerX * x;
      data[(y * width + x) * 3 + 1] = gPerY * y;
    }
  }
  return { data, width, height };
}
