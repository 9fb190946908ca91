/** LFW face crops for the model checks (models.int.test.ts, bench-models.ts). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

/**
 * The LFW folder: env `PERSONA_DATASETS_DIR` or `PERSONA_DATASETS` (+ /lfw), else `<repo>/../shared/datasets/lfw`
 * (CI lays shared/ beside the clone), else `/work/shared/datasets/lfw`. Null when none exists.
 */
export function lfwDir(): string | null {
  const candidates = [
    process.env.PERSONA_DATASETS_DIR,
    process.env.PERSONA_DATASETS,
    fileURLToPath(new URL("../../../shared/datasets/", import.meta.url)),
    "/work/shared/datasets",
  ];
  for (const c of candidates) if (c && existsSync(join(c, "lfw"))) return join(c, "lfw");
  return null;
}

/** Two photos each of four people: enough for same-person vs different-person comparisons. */
export const LFW_SAMPLES: readonly { person: string; file: string }[] = [
  "George_W_Bush",
  "Colin_Powell",
  "Serena_Williams",
  "Jennifer_Aniston",
].flatMap((person) => [1, 2].map((i) => ({ person, file: `${person}/${person}_${String(i).padStart(4, "0")}.jpg` })));

/**
 * The face region of a 250x250 LFW photo: LFW centres the face (BlazeFace boxes are ~95-110 px around the centre);
 * this square goes from the eyebrows to below the chin.
 */
export const LFW_FACE_BOX = { left: 70, top: 70, width: 110, height: 110 } as const;

/** RGB bytes (HWC) of the face box of `path`, resized to `size` x `size` (bilinear-like 'linear' kernel). */
export async function faceCrop(path: string, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .toColourspace("srgb")
    .extract(LFW_FACE_BOX)
    .resize(size, size, { kernel: "linear", fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new Error(`${path}: crop came out ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** RGB bytes of the whole photo resized to `size` x `size`. */
export async function wholeImage(path: string, size: number): Promise<Uint8Array> {
  const { data } = await sharp(path)
    .removeAlpha()
    .toColourspace("srgb")
    .resize(size, size, { kernel: "linear", fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** 8-bit pixels to float32 in [lo, hi]. */
export function toFloat(pixels: Uint8Array, range: readonly [number, number]): Float32Array {
  const [lo, hi] = range;
  const scale = (hi - lo) / 255;
  return Float32Array.from(pixels, (v) => v * scale + lo);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}
