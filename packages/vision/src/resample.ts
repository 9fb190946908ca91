/**
 * Resampling and tensor filling for the detectors, on OpenCV (synchronous native calls, no thread hop): area
 * averaging (`INTER_AREA`) when shrinking, the right filter for the detector's large downscales (1280 -> 256), and
 * bilinear interpolation when enlarging. Images cross the binding as zero-copy views (`cv.ts`).
 */
import { floatMatOf, imageOf, type Mat, matOf, opencv, regionOf } from "./cv.ts";
import { assertRgbImage, type RgbImage } from "./types.ts";

/** An RGB image in JS memory or a CV_8UC3 `Mat` (RGB order) already on the native side. */
export type ImageSource = RgbImage | Mat;

/** A `Mat` for either kind of source (a view, no copy, for an `RgbImage`). */
export function toMat(src: ImageSource): Mat {
  if (src instanceof opencv().Mat) return src;
  assertRgbImage(src);
  return matOf(src);
}

function checkSize(w: number, h: number): { w: number; h: number } {
  if (!(w >= 1 && h >= 1)) throw new RangeError(`invalid target size ${w}x${h}`);
  return { w: Math.round(w), h: Math.round(h) };
}

/**
 * Resizes on the native side, with the filter each direction needs:
 * - enlarging: bilinear (`INTER_LINEAR`);
 * - shrinking by a whole factor: area averaging (`INTER_AREA`'s integer fast path, ~1 ms for 1280x720 -> 640x360);
 * - shrinking by k <= s < k + 1 with k >= 2: area averaging by k over the whole k x k blocks, then a bilinear warp
 *   that keeps the exact geometry (output pixel centres where a direct resize puts them). OpenCV's own INTER_AREA for
 *   a fractional factor is its slow generic path (13 ms for 1280x720 -> 960x540);
 * - shrinking by less than 2: bilinear, whose two taps still cover every source pixel.
 */
export function resizeMat(src: ImageSource, width: number, height: number): Mat {
  const cv = opencv();
  const m = toMat(src);
  const { w, h } = checkSize(width, height);
  const W = m.cols;
  const H = m.rows;
  if (w === W && h === H) return m;
  if (w > W || h > H) return m.resize(new cv.Size(w, h), 0, 0, cv.INTER_LINEAR);
  if (W % w === 0 && H % h === 0) return m.resize(new cv.Size(w, h), 0, 0, cv.INTER_AREA);
  const k = Math.floor(Math.min(W / w, H / h));
  if (k < 2) return m.resize(new cv.Size(w, h), 0, 0, cv.INTER_LINEAR);
  const iw = Math.floor(W / k);
  const ih = Math.floor(H / k);
  const mid = regionOf(m, 0, 0, iw * k, ih * k).resize(new cv.Size(iw, ih), 0, 0, cv.INTER_AREA);
  // mid pixel i is the mean of source [k i, k i + k), centred at source x = k i + (k - 1) / 2; the output pixel u is
  // centred at source x = (u + 0.5) W / w - 0.5, so u = (k i + k / 2) w / W - 0.5
  const ax = (k * w) / W;
  const ay = (k * h) / H;
  const t = new cv.Mat(
    [
      [ax, 0, ax / 2 - 0.5],
      [0, ay, ay / 2 - 0.5],
    ],
    cv.CV_64F,
  );
  const out = mid.warpAffine(t, new cv.Size(w, h), cv.INTER_LINEAR, cv.BORDER_REPLICATE);
  mid.release();
  return out;
}

/** `resizeMat` into a new RGB image in JS memory (a copy even when the size is unchanged). */
export function resizeArea(src: ImageSource, width: number, height: number): RgbImage {
  return imageOf(resizeMat(src, width, height));
}

/**
 * The part of a `w`x`h` window at (x0, y0) of an image that lies inside it, in image coordinates and in window
 * coordinates; null when the window misses the image.
 */
function overlap(img: Mat, x0: number, y0: number, w: number, h: number) {
  const ix0 = Math.max(0, x0);
  const iy0 = Math.max(0, y0);
  const ix1 = Math.min(img.cols, x0 + w);
  const iy1 = Math.min(img.rows, y0 + h);
  if (ix1 <= ix0 || iy1 <= iy0) return null;
  const rw = ix1 - ix0;
  const rh = iy1 - iy0;
  return {
    src: { x: ix0, y: iy0, width: rw, height: rh },
    dst: { x: ix0 - x0, y: iy0 - y0, width: rw, height: rh },
  };
}

const region = (m: Mat, r: { x: number; y: number; width: number; height: number }) => regionOf(m, r.x, r.y, r.width, r.height);

/** Sets every value of a `w`x`h` (x `channels`) tensor outside `r` to `value`: only the padding is written. */
function fillOutside(
  t: Float32Array,
  w: number,
  h: number,
  channels: number,
  r: { x: number; y: number; width: number; height: number },
  value: number,
): void {
  const row = w * channels;
  t.fill(value, 0, r.y * row);
  t.fill(value, (r.y + r.height) * row, h * row);
  if (r.width === w) return;
  for (let y = r.y; y < r.y + r.height; y++) {
    t.fill(value, y * row, y * row + r.x * channels);
    t.fill(value, y * row + (r.x + r.width) * channels, (y + 1) * row);
  }
}

/**
 * Writes a `size`x`size` window of `img` whose top-left corner is (x0, y0) into `out` (NHWC float32 in [-1, 1]).
 * Pixels outside the image are `padValue` (default 0, mid-gray). Integer offsets only: no resampling.
 */
export function fillTensorWindow(img: ImageSource, x0: number, y0: number, size: number, out: Float32Array, padValue = 0): void {
  fillTensorRect(img, x0, y0, size, size, out, padValue);
}

/** `fillTensorWindow` for a `w`x`h` window (the tensor is [1, h, w, 3]): v / 127.5 - 1 per channel, RGB order. */
export function fillTensorRect(
  img: ImageSource,
  x0: number,
  y0: number,
  w: number,
  h: number,
  out: Float32Array,
  padValue = 0,
): void {
  if (out.length < w * h * 3) throw new RangeError("tensor buffer too small");
  const cv = opencv();
  const m = toMat(img);
  const o = overlap(m, x0, y0, w, h);
  if (!o) {
    out.fill(padValue, 0, w * h * 3);
    return;
  }
  fillOutside(out, w, h, 3, o.dst, padValue);
  const view = floatMatOf(out, h, w, 3);
  const f = region(m, o.src).convertTo(cv.CV_32FC3, 1 / 127.5, -1);
  f.copyTo(region(view, o.dst));
  f.release();
}

/**
 * Writes `img` into a planar BGR float tensor [1, 3, h, w] (0..255, YuNet's input) with its top-left at (ox, oy);
 * the rest is 0 (black).
 */
export function fillBgrPlanar(img: ImageSource, ox: number, oy: number, w: number, h: number, out: Float32Array): void {
  const plane = w * h;
  if (out.length < 3 * plane) throw new RangeError("tensor buffer too small");
  const cv = opencv();
  const m = toMat(img);
  // the tensor window seen from the image: top-left at (-ox, -oy)
  const o = overlap(m, -ox, -oy, w, h);
  if (!o) {
    out.fill(0, 0, 3 * plane);
    return;
  }
  for (let c = 0; c < 3; c++) fillOutside(out.subarray(c * plane, (c + 1) * plane), w, h, 1, o.dst, 0);
  // split the bytes (cheap), then widen each plane straight into its place
  const rgb = region(m, o.src).splitChannels();
  for (let c = 0; c < 3; c++) {
    // plane 0 is blue (image channel 2), plane 2 red (channel 0)
    const f = (rgb[2 - c] as Mat).convertTo(cv.CV_32F);
    f.copyTo(region(floatMatOf(out, h, w, 1, c * plane), o.dst));
    f.release();
  }
  for (const p of rgb) p.release();
}

/**
 * Reusable tensor buffers, by length. A fresh 1280x736x3 float tensor costs more in first-touch page faults than
 * filling it; a detector takes its inputs from here and gives them back once the model has run. Concurrent calls
 * each get their own buffer; at most `keep` idle buffers of a length are kept.
 */
export class TensorBuffers {
  readonly #free = new Map<number, Float32Array[]>();
  constructor(private readonly keep = 2) {}

  take(length: number): Float32Array {
    return this.#free.get(length)?.pop() ?? new Float32Array(length);
  }

  give(...buffers: Float32Array[]): void {
    for (const b of buffers) {
      const list = this.#free.get(b.length) ?? [];
      if (list.length < this.keep) list.push(b);
      this.#free.set(b.length, list);
    }
  }
}
