/**
 * 2-D similarity transform (rotation + uniform scale + translation, no reflection) fitted by weighted least squares:
 * Umeyama (1991) specialised to 2-D, where the SVD reduces to a closed form. Pure functions.
 *
 * A transform is the 2x3 matrix [[a, -b, tx], [b, a, ty]]: x' = a x - b y + tx, y' = b x + a y + ty,
 * with scale = hypot(a, b) and angle = atan2(b, a).
 */
import type { Point } from "./types.ts";

/** Row-major 2x3 affine matrix [m00, m01, m02, m10, m11, m12]. */
export type Affine = readonly [number, number, number, number, number, number];

/**
 * Least-squares similarity mapping `src[i]` onto `dst[i]` (minimises sum w_i |T(src_i) - dst_i|^2).
 * Needs >= 2 points that are not all coincident.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[], weights?: readonly number[]): Affine {
  const n = src.length;
  if (n !== dst.length) throw new RangeError(`point count mismatch: ${n} vs ${dst.length}`);
  if (n < 2) throw new RangeError("a similarity needs at least 2 point pairs");
  if (weights && weights.length !== n) throw new RangeError("weights length mismatch");
  let sw = 0;
  let msx = 0;
  let msy = 0;
  let mdx = 0;
  let mdy = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? (weights[i] as number) : 1;
    const s = src[i] as Point;
    const d = dst[i] as Point;
    sw += w;
    msx += w * s.x;
    msy += w * s.y;
    mdx += w * d.x;
    mdy += w * d.y;
  }
  if (!(sw > 0)) throw new RangeError("weights must sum to a positive number");
  msx /= sw;
  msy /= sw;
  mdx /= sw;
  mdy /= sw;
  let varS = 0;
  let dot = 0; // sum w (s' . d')
  let cross = 0; // sum w (s' x d')
  for (let i = 0; i < n; i++) {
    const w = weights ? (weights[i] as number) : 1;
    const sx = (src[i] as Point).x - msx;
    const sy = (src[i] as Point).y - msy;
    const dx = (dst[i] as Point).x - mdx;
    const dy = (dst[i] as Point).y - mdy;
    varS += w * (sx * sx + sy * sy);
    dot += w * (sx * dx + sy * dy);
    cross += w * (sx * dy - sy * dx);
  }
  if (!(varS > 1e-12)) throw new RangeError("source points are coincident");
  const a = dot / varS;
  const b = cross / varS;
  return [a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

/** Inverse of an affine matrix (throws if singular). */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new RangeError("affine matrix is singular");
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Scale factor of a similarity matrix. */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}
