/**
 * The fast classifier's input, pure. A face is kept as a "sample": the grayscale centre of the aligned chip
 * (dlib template, 150x150; other square chips are resampled to it first), pixels [7, 143) averaged 2x2 to 68x68 bytes (4.6 KB). Training takes 64x64 windows
 * of it (random offset 0..4 and mirror = augmentation; the centre window at offset 2 for inference), averages them
 * 2x2 again to 32x32 and standardises each window (zero mean, unit variance). The published ONNX graph does the
 * same from the chip (gray, slice, two 2x2 average pools, standardise), so the recognizer feeds it the chip as is.
 */
import {
  FAST_CHIP_SIZE,
  FAST_NET_SIZE,
  FAST_SAMPLE_SIZE,
  FastInputError,
  type RgbImage,
  fastClassifierSample,
  standardizeFastInput,
  toFastChip,
} from "@persona/vision";

/** Chip side the fast classifier expects (the recognizer's default dlib template). */
export const CHIP_SIZE = FAST_CHIP_SIZE;
/** Side of a stored sample (the region averaged 2x2). */
export const SAMPLE_SIZE = FAST_SAMPLE_SIZE;
/** Side of a training/inference window in sample pixels. */
export const WINDOW = 64;
/** Window offset of the inference (centre) window. */
export const CENTRE = 2;
/** Side of the network's input. */
export const NET_SIZE = FAST_NET_SIZE;

export class SampleError extends Error {
  override name = "SampleError";
}

/** The stored sample of an aligned chip (150x150 as it is; another square chip is resampled: `toFastChip`). */
export function chipToSample(square: RgbImage): Uint8Array {
  let chip: RgbImage;
  try {
    chip = toFastChip(square);
  } catch (err) {
    throw new SampleError(err instanceof FastInputError ? err.message : String(err));
  }
  if (chip.width !== CHIP_SIZE || chip.height !== CHIP_SIZE) {
    throw new SampleError(
      `the fast classifier needs ${CHIP_SIZE}x${CHIP_SIZE} chips (dlib template), got ${chip.width}x${chip.height}`,
    );
  }
  if (chip.data.length !== CHIP_SIZE * CHIP_SIZE * 3) throw new SampleError("chip buffer does not match its size");
  return fastClassifierSample(chip);
}

/**
 * The network input of one sample: the 64x64 window at (ox, oy), optionally mirrored, averaged 2x2 to 32x32 and
 * standardised, written into `out` at `offset` (NET_SIZE * NET_SIZE floats).
 */
export function sampleWindow(
  sample: Uint8Array,
  ox = CENTRE,
  oy = CENTRE,
  mirror = false,
  out: Float32Array = new Float32Array(NET_SIZE * NET_SIZE),
  offset = 0,
): Float32Array {
  if (sample.length !== SAMPLE_SIZE * SAMPLE_SIZE) throw new SampleError(`a sample has ${SAMPLE_SIZE * SAMPLE_SIZE} bytes`);
  if (ox < 0 || oy < 0 || ox + WINDOW > SAMPLE_SIZE || oy + WINDOW > SAMPLE_SIZE) throw new SampleError("window out of range");
  let sum = 0;
  for (let y = 0; y < NET_SIZE; y++) {
    for (let x = 0; x < NET_SIZE; x++) {
      const sy = oy + 2 * y;
      const sx = ox + 2 * x;
      const i = sy * SAMPLE_SIZE + sx;
      const v =
        ((sample[i] as number) +
          (sample[i + 1] as number) +
          (sample[i + SAMPLE_SIZE] as number) +
          (sample[i + SAMPLE_SIZE + 1] as number)) /
        4;
      const tx = mirror ? NET_SIZE - 1 - x : x;
      out[offset + y * NET_SIZE + tx] = v;
      sum += v;
    }
  }
  standardizeFastInput(out, offset, sum);
  return out;
}

/** The chip as the published graph's input: float32 NHWC [1, 150, 150, 3], raw 0..255. */
export function chipTensorData(chip: RgbImage): Float32Array {
  if (chip.width !== CHIP_SIZE || chip.height !== CHIP_SIZE) {
    throw new SampleError(`the fast classifier needs ${CHIP_SIZE}x${CHIP_SIZE} chips, got ${chip.width}x${chip.height}`);
  }
  return Float32Array.from(chip.data);
}
