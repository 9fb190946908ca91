/** Keypoint sets as arrays and back, and point-wise maps over whichever keypoints a detection has. Pure. */
import { BLAZEFACE_KEYPOINTS, type FaceKeypoints, KEYPOINT_NAMES, type KeypointName, type Point } from "./types.ts";

/** The names of the keypoints `k` has, in canonical order (`KEYPOINT_NAMES`). */
export function keypointNames(k: FaceKeypoints): KeypointName[] {
  return KEYPOINT_NAMES.filter((n) => k[n] !== undefined);
}

/** A keypoint set from points given in the order of `names` (BlazeFace's six by default). */
export function keypointsFromArray(pts: readonly Point[], names: readonly KeypointName[] = BLAZEFACE_KEYPOINTS): FaceKeypoints {
  const o: Partial<Record<KeypointName, Point>> = {};
  names.forEach((name, i) => {
    const p = pts[i];
    if (!p) throw new RangeError(`missing keypoint ${name}`);
    o[name] = p;
  });
  for (const n of ["rightEye", "leftEye", "noseTip", "mouth"] as const) {
    if (!o[n]) throw new RangeError(`missing keypoint ${n}`);
  }
  return o as FaceKeypoints;
}

/** The points `k` has, in canonical order (`keypointNames(k)`). */
export function keypointsToArray(k: FaceKeypoints): Point[] {
  return keypointNames(k).map((n) => k[n] as Point);
}

/** `k` with every point mapped through `f` (the same names). */
export function mapKeypoints(k: FaceKeypoints, f: (p: Point) => Point): FaceKeypoints {
  const names = keypointNames(k);
  return keypointsFromArray(
    names.map((n) => f(k[n] as Point)),
    names,
  );
}

/** Weighted mean of keypoint sets of one detector (the names of the first; each set must have them). */
export function meanKeypoints(sets: readonly FaceKeypoints[], weights: readonly number[]): FaceKeypoints {
  const first = sets[0];
  if (!first) throw new RangeError("meanKeypoints of no sets");
  const names = keypointNames(first);
  let sw = 0;
  const acc = names.map(() => ({ x: 0, y: 0 }));
  sets.forEach((k, j) => {
    const w = weights[j] ?? 0;
    sw += w;
    names.forEach((n, i) => {
      const p = k[n];
      if (!p) throw new RangeError(`keypoint sets differ: ${n} missing`);
      const a = acc[i] as { x: number; y: number };
      a.x += p.x * w;
      a.y += p.y * w;
    });
  });
  return keypointsFromArray(
    acc.map((p) => ({ x: p.x / sw, y: p.y / sw })),
    names,
  );
}
