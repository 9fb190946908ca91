/**
 * "Same faces" for detections computed by different graphs, kernels or CPUs: bit-identical floats cannot be demanded
 * (the fixed and the size-agnostic BlazeFace graphs differ by ~1e-7 on an AVX2 EPYC, by 0 here), so two lists are the
 * same when they hold the same number of faces and each face of one has a partner in the other whose box and keypoints
 * lie within `px` pixels and whose score lies within `score`. Partners are found by box centre, not by list position:
 * near-equal scores may swap places in a score-sorted list.
 */
import assert from "node:assert/strict";
import type { Detection } from "../types.ts";

export interface SameDetectionsTolerance {
  /** Largest difference of any box edge or keypoint coordinate, in pixels. Default 0.05 px (a 20th of a pixel). */
  readonly px?: number;
  /** Largest difference of the scores. Default 1e-3. */
  readonly score?: number;
}

function coords(d: Detection): number[] {
  const k = d.keypoints as unknown as Record<string, { x: number; y: number }>;
  const out = [d.box.x, d.box.y, d.box.width, d.box.height];
  for (const name of Object.keys(k).sort()) out.push((k[name] as { x: number }).x, (k[name] as { y: number }).y);
  return out;
}

/** Largest coordinate difference between two detections (box and every keypoint), in pixels. */
export function detectionDistance(a: Detection, b: Detection): number {
  const ca = coords(a);
  const cb = coords(b);
  assert.equal(ca.length, cb.length, "detections with different keypoint sets");
  let m = 0;
  for (let i = 0; i < ca.length; i++) m = Math.max(m, Math.abs((ca[i] as number) - (cb[i] as number)));
  return m;
}

export function assertSameDetections(
  actual: readonly Detection[],
  expected: readonly Detection[],
  label: string,
  tol: SameDetectionsTolerance = {},
): void {
  const px = tol.px ?? 0.05;
  const scoreTol = tol.score ?? 1e-3;
  assert.equal(actual.length, expected.length, `${label}: ${actual.length} faces, expected ${expected.length}`);
  const used = new Set<number>();
  for (const [i, e] of expected.entries()) {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    actual.forEach((a, j) => {
      if (used.has(j)) return;
      const d = detectionDistance(a, e);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    });
    assert.ok(best >= 0 && bestD <= px, `${label}: face ${i} has no partner within ${px} px (nearest ${bestD.toFixed(4)} px)`);
    used.add(best);
    const s = (actual[best] as Detection).score;
    assert.ok(Math.abs(s - e.score) <= scoreTol, `${label}: face ${i} score ${s} vs ${e.score} (tolerance ${scoreTol})`);
  }
}
