/** Vector helpers of the pure recognition code (clustering, gallery growth): embeddings as plain number arrays. */

/** Dot product, summed in index order; equals cosine similarity for unit-length vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** A copy of `v` divided by its length (left as it is when the length is not above 0), and that length. */
export function unitCopy(v: ArrayLike<number>): { unit: Float32Array; norm: number } {
  const unit = Float32Array.from(v);
  const norm = Math.sqrt(dot(unit, unit));
  if (norm > 0) for (let i = 0; i < unit.length; i++) unit[i] = (unit[i] as number) / norm;
  return { unit, norm };
}
