/** Vector helpers of the embedding path (pure, no onnxruntime): normalisation, dot product, flip-TTA fusion. */
import type { RgbImage } from "./types.ts";

/** Mirrors an RGB image left-right (a new image). */
export function flipChip(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + x * 3;
      const d = row + (w - 1 - x) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { data: out, width: w, height: h };
}

/** Flip-TTA fusion: normalise(a / |a| + b / |b|) as a new array (a and b need not be unit length). */
export function fuseEmbeddings(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new RangeError(`embedding lengths differ: ${a.length} vs ${b.length}`);
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) / na + (b[i] as number) / nb;
  if (!l2NormalizeInPlace(out)) throw new RangeError("cannot fuse zero or non-finite embeddings");
  return out;
}

/** Scales `v` to unit length in place; false (and `v` untouched) if its norm is zero or not finite. */
export function l2NormalizeInPlace(v: Float32Array): boolean {
  const n = Math.sqrt(dot(v, v));
  if (!(n > 0) || !Number.isFinite(n)) return false;
  const k = 1 / n;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * k;
  return true;
}

/** Dot product; equals cosine similarity for unit-length vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`vector lengths differ: ${n} vs ${b.length}`);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[i] as number) * (b[i] as number);
    s1 += (a[i + 1] as number) * (b[i + 1] as number);
    s2 += (a[i + 2] as number) * (b[i + 2] as number);
    s3 += (a[i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[i] as number) * (b[i] as number);
  return s0 + s1 + s2 + s3;
}

/** Cosine similarity of two descriptors of any length (normalises on the fly). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  const d = Math.sqrt(dot(a, a) * dot(b, b));
  return d > 0 ? dot(a, b) / d : 0;
}
