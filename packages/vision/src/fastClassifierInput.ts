/**
 * The fast classifier's network input straight from an aligned chip, in one pass: what the trainer computes in two
 * steps (services/trainer/src/classifier/sample.ts: `chipToSample`, then `sampleWindow` at the centre), bit for bit
 * the same values, about three times cheaper, so that on the recognizer's hot path preprocessing costs less than
 * the network.
 *
 * The chip is the dlib template's 150x150 RGB chip. The trainer's "sample" is the chip's gray (BT.601) over pixels
 * [7, 143) averaged 2x2 and rounded to bytes (68x68); the network sees the sample's centre 64x64 window (sample
 * pixels [2, 66), i.e. chip pixels [11, 139)) averaged 2x2 again to 32x32 and standardised (zero mean, unit
 * variance with +1 in the variance). Only the samples inside the window are computed.
 */
import { resizeArea } from "./resample.ts";
import type { RgbImage } from "./types.ts";

export const FAST_CHIP_SIZE = 150;

/**
 * The chip the fast classifier works on: the recognizer's aligned chip itself when it is 150x150 (dlib template),
 * else that chip resampled to 150x150 (fr_feature's 112x112 ArcFace chip). The trainer's samples and the
 * recognizer's inputs both go through here, so training and inference see the same pixels whatever the template.
 */
export function toFastChip(chip: RgbImage): RgbImage {
  if (chip.width === FAST_CHIP_SIZE && chip.height === FAST_CHIP_SIZE) return chip;
  if (chip.width !== chip.height || chip.width < 32) {
    throw new FastInputError(`the fast classifier needs square aligned chips of 32 px or more, got ${chip.width}x${chip.height}`);
  }
  return resizeArea(chip, FAST_CHIP_SIZE, FAST_CHIP_SIZE);
}
export const FAST_NET_SIZE = 32;
/** First chip pixel of the sample region (both axes): [7, 143). */
export const FAST_REGION_START = 7;
const WINDOW_START = 2;
/** Added to the variance when standardising (pixel units, 0..255). */
export const FAST_STD_EPS = 1;
/** ITU-R BT.601 luma weights. */
export const FAST_GRAY = [0.299, 0.587, 0.114] as const;
const [WR, WG, WB] = FAST_GRAY;

export class FastInputError extends Error {
  override name = "FastInputError";
}

function assertFastChip(chip: RgbImage): void {
  if (
    chip.width !== FAST_CHIP_SIZE ||
    chip.height !== FAST_CHIP_SIZE ||
    chip.data.length !== FAST_CHIP_SIZE * FAST_CHIP_SIZE * 3
  ) {
    throw new FastInputError(
      `the fast classifier needs ${FAST_CHIP_SIZE}x${FAST_CHIP_SIZE} RGB chips, got ${chip.width}x${chip.height}`,
    );
  }
}

/** The standardised 32x32 network input of one chip (any square size, see `toFastChip`), written into `out` at
 * `offset` (1024 floats). */
export function fastClassifierInput(
  square: RgbImage,
  out = new Float32Array(FAST_NET_SIZE * FAST_NET_SIZE),
  offset = 0,
): Float32Array {
  const chip = toFastChip(square);
  assertFastChip(chip);
  const d = chip.data;
  const n = FAST_NET_SIZE;
  const x0 = FAST_REGION_START + 2 * WINDOW_START; // first chip column/row of the window
  // one row of 64 samples (the window's columns) for each of the two sample rows under a network row
  const top = new Float64Array(64);
  const bottom = new Float64Array(64);
  let sum = 0;
  for (let y = 0; y < n; y++) {
    for (let sy = 0; sy < 2; sy++) {
      const row = sy === 0 ? top : bottom;
      const r0 = (x0 + 4 * y + 2 * sy) * FAST_CHIP_SIZE;
      const r1 = r0 + FAST_CHIP_SIZE;
      for (let sx = 0; sx < 64; sx++) {
        const a = (r0 + x0 + 2 * sx) * 3;
        const b = (r1 + x0 + 2 * sx) * 3;
        // the same summation order as chipToSample: (dy, dx) = (0,0), (0,1), (1,0), (1,1)
        let s = WR * (d[a] as number) + WG * (d[a + 1] as number) + WB * (d[a + 2] as number);
        s += WR * (d[a + 3] as number) + WG * (d[a + 4] as number) + WB * (d[a + 5] as number);
        s += WR * (d[b] as number) + WG * (d[b + 1] as number) + WB * (d[b + 2] as number);
        s += WR * (d[b + 3] as number) + WG * (d[b + 4] as number) + WB * (d[b + 5] as number);
        row[sx] = Math.min(255, Math.round(s / 4));
      }
    }
    const o = offset + y * n;
    for (let x = 0; x < n; x++) {
      // integers: the sum is exact whatever the order
      const v =
        ((top[2 * x] as number) + (top[2 * x + 1] as number) + (bottom[2 * x] as number) + (bottom[2 * x + 1] as number)) / 4;
      out[o + x] = v;
      sum += v;
    }
  }
  standardizeFastInput(out, offset, sum);
  return out;
}

/**
 * Standardises the network input (FAST_NET_SIZE x FAST_NET_SIZE floats) at `offset` of `out` in place: zero mean,
 * unit variance with +1 in the variance. `sum` is the sum of its values, which the caller has added up while writing
 * them (in its order, so that every caller gets the same bits).
 */
export function standardizeFastInput(out: Float32Array, offset: number, sum: number): void {
  const count = FAST_NET_SIZE * FAST_NET_SIZE;
  const mean = sum / count;
  let sq = 0;
  for (let k = 0; k < count; k++) {
    const dv = (out[offset + k] as number) - mean;
    sq += dv * dv;
  }
  const inv = 1 / Math.sqrt(sq / count + FAST_STD_EPS);
  for (let k = 0; k < count; k++) out[offset + k] = ((out[offset + k] as number) - mean) * inv;
}

/** Side of the trainer's stored "sample" of a chip (pixels [7, 143) averaged 2x2). */
export const FAST_SAMPLE_SIZE = 68;

/**
 * The trainer's stored "sample" of a 150x150 chip (see the top of this file): its gray over pixels [7, 143), averaged
 * 2x2 and rounded to bytes, FAST_SAMPLE_SIZE x FAST_SAMPLE_SIZE. What older "sample"-input models take as input.
 */
export function fastClassifierSample(chip: RgbImage): Uint8Array {
  assertFastChip(chip);
  const n = FAST_SAMPLE_SIZE;
  const out = new Uint8Array(n * n);
  const d = chip.data;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const i = ((FAST_REGION_START + 2 * y + dy) * FAST_CHIP_SIZE + FAST_REGION_START + 2 * x + dx) * 3;
          s += WR * (d[i] as number) + WG * (d[i + 1] as number) + WB * (d[i + 2] as number);
        }
      }
      out[y * n + x] = Math.min(255, Math.round(s / 4));
    }
  }
  return out;
}
