/** LFW face crops for the model checks (models.int.test.ts, bench-models.ts). */
import { join } from "node:path";
import { findDatasetsDir } from "@persona/runtime";
import sharp from "sharp";

/** The LFW folder of the shared data sets (`findDatasetsDir` of @persona/runtime), or null. */
export function lfwDir(): string | null {
  const root = findDatasetsDir();
  return root === null ? null : join(root, "lfw");
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

export type Point = readonly [number, number];

/** The ArcFace 112x112 five-point template (the subject's right eye, left eye, nose tip, right and left mouth corner). */
export const ARCFACE_112_POINTS: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * The template's five points in photo pixels from face-landmark68's output on a `faceCrop` (136 values, fractions of
 * the LFW_FACE_BOX crop): the eyes' centres (iBUG 36-41, 42-47), the nose tip (30), the mouth corners (48, 54).
 */
export function fivePointsFrom68(landmarks: ArrayLike<number>): Point[] {
  const at = (k: number): Point => [
    LFW_FACE_BOX.left + (landmarks[2 * k] as number) * LFW_FACE_BOX.width,
    LFW_FACE_BOX.top + (landmarks[2 * k + 1] as number) * LFW_FACE_BOX.height,
  ];
  const mean = (from: number): Point => {
    let x = 0;
    let y = 0;
    for (let k = from; k < from + 6; k++) [x, y] = [x + at(k)[0], y + at(k)[1]];
    return [x / 6, y / 6];
  };
  return [mean(36), mean(42), at(30), at(48), at(54)];
}

/**
 * RGB bytes (HWC) of a `size` x `size` chip of `path` aligned to `template`: the least-squares similarity transform
 * (rotation, uniform scale, shift) taking `points` onto the template, sampled bilinearly (edges clamped), rounded.
 */
export async function alignedChip(
  path: string,
  points: readonly Point[],
  template: readonly Point[],
  size: number,
): Promise<Uint8Array> {
  if (points.length !== template.length || points.length < 2) throw new Error("alignedChip: points and template differ");
  const { data, info } = await sharp(path).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${path}: ${info.channels} channels`);
  const centroid = (ps: readonly Point[]): Point => [
    ps.reduce((a, p) => a + p[0], 0) / ps.length,
    ps.reduce((a, p) => a + p[1], 0) / ps.length,
  ];
  const [sx, sy] = centroid(points);
  const [tx, ty] = centroid(template);
  // template = [a -b; b a] (point - (sx, sy)) + (tx, ty), a and b by least squares
  let norm = 0;
  let dotSum = 0;
  let crossSum = 0;
  points.forEach((p, i) => {
    const q = template[i] as Point;
    const [px, py, qx, qy] = [p[0] - sx, p[1] - sy, q[0] - tx, q[1] - ty];
    norm += px * px + py * py;
    dotSum += px * qx + py * qy;
    crossSum += px * qy - py * qx;
  });
  const a = dotSum / norm;
  const b = crossSum / norm;
  const det = a * a + b * b;
  const { width: W, height: H } = info;
  const pixel = (x: number, y: number, c: number) =>
    data[(Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))) * 3 + c] as number;
  const out = new Uint8Array(size * size * 3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      // the inverse transform: point = [a b; -b a] (chip - (tx, ty)) / det + (sx, sy)
      const [du, dv] = [u - tx, v - ty];
      const x = (a * du + b * dv) / det + sx;
      const y = (-b * du + a * dv) / det + sy;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const [fx, fy] = [x - x0, y - y0];
      for (let c = 0; c < 3; c++) {
        const top = pixel(x0, y0, c) * (1 - fx) + pixel(x0 + 1, y0, c) * fx;
        const bottom = pixel(x0, y0 + 1, c) * (1 - fx) + pixel(x0 + 1, y0 + 1, c) * fx;
        out[(v * size + u) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
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
