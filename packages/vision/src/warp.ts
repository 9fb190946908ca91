/** Affine warp with bilinear sampling, pure TypeScript. */
import { invertAffine, type Affine } from "./similarity.ts";
import { assertRgbImage, type RgbImage } from "./types.ts";

export interface WarpOptions {
  /** How pixels outside the source are filled: "replicate" the nearest edge pixel (default) or a constant colour. */
  border?: "replicate" | "constant";
  /** Constant border colour. Default [0, 0, 0]. */
  borderValue?: readonly [number, number, number];
}

/**
 * Produces a `width`x`height` RGB image whose pixel (u, v) samples `src` at M^-1 (u, v), where `m` maps source
 * coordinates to destination coordinates (OpenCV `warpAffine` convention, pixel centres at integers).
 */
export function warpAffine(src: RgbImage, m: Affine, width: number, height: number, opts: WarpOptions = {}): RgbImage {
  assertRgbImage(src);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid warp size ${width}x${height}`);
  }
  const inv = invertAffine(m);
  const [a, b, c, d, e, f] = inv;
  const sw = src.width;
  const sh = src.height;
  const sd = src.data;
  const out = new Uint8Array(width * height * 3);
  const replicate = (opts.border ?? "replicate") === "replicate";
  const bv = opts.borderValue ?? [0, 0, 0];
  const maxX = sw - 1;
  const maxY = sh - 1;
  let o = 0;
  for (let v = 0; v < height; v++) {
    let x = b * v + c;
    let y = e * v + f;
    for (let u = 0; u < width; u++, x += a, y += d, o += 3) {
      let fx = x;
      let fy = y;
      if (fx < 0 || fy < 0 || fx > maxX || fy > maxY) {
        if (!replicate && (fx < -1 || fy < -1 || fx > sw || fy > sh)) {
          out[o] = bv[0];
          out[o + 1] = bv[1];
          out[o + 2] = bv[2];
          continue;
        }
        fx = Math.min(maxX, Math.max(0, fx));
        fy = Math.min(maxY, Math.max(0, fy));
      }
      let x0 = fx | 0;
      let y0 = fy | 0;
      if (x0 >= maxX) x0 = maxX > 0 ? maxX - 1 : 0;
      if (y0 >= maxY) y0 = maxY > 0 ? maxY - 1 : 0;
      const ax = fx - x0;
      const ay = fy - y0;
      const x1 = x0 + (sw > 1 ? 1 : 0);
      const y1 = y0 + (sh > 1 ? 1 : 0);
      const p00 = (y0 * sw + x0) * 3;
      const p01 = (y0 * sw + x1) * 3;
      const p10 = (y1 * sw + x0) * 3;
      const p11 = (y1 * sw + x1) * 3;
      const w00 = (1 - ax) * (1 - ay);
      const w01 = ax * (1 - ay);
      const w10 = (1 - ax) * ay;
      const w11 = ax * ay;
      for (let k = 0; k < 3; k++) {
        out[o + k] =
          (sd[p00 + k] as number) * w00 +
          (sd[p01 + k] as number) * w01 +
          (sd[p10 + k] as number) * w10 +
          (sd[p11 + k] as number) * w11 +
          0.5;
      }
    }
  }
  return { data: out, width, height };
}
