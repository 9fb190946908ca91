/**
 * Decoding of YuNet (libfacedetection.train, "2023mar") raw outputs. Pure functions.
 *
 * The network is anchor-free: for each stride s in 8, 16, 32 it emits, per grid cell (row r, column c of a
 * (H / s) x (W / s) grid, rows in row-major order), `cls_s` and `obj_s` (one value each), `bbox_s` (4) and `kps_s` (10).
 * As OpenCV's `FaceDetectorYN` decodes them (input pixels):
 *   score = sqrt(clamp(cls, 0, 1) * clamp(obj, 0, 1)),
 *   cx = (c + bbox[0]) * s,  cy = (r + bbox[1]) * s,  w = exp(bbox[2]) * s,  h = exp(bbox[3]) * s,
 *   keypoint n = ((c + kps[2n]) * s, (r + kps[2n + 1]) * s),
 * keypoints in the order right eye, left eye, nose tip, right mouth corner, left mouth corner, named for the subject
 * (the right eye appears on the image's left; checked on LFW in yunet.int.test.ts).
 */
import type { Detection, FaceKeypoints } from "./types.ts";

export const YUNET_STRIDES = [8, 16, 32] as const;
/** Input sides must be multiples of this (the largest stride). */
export const YUNET_SIZE_MULTIPLE = 32;

/** The four outputs of one stride. */
export interface YuNetHead {
  readonly stride: number;
  readonly cls: Float32Array;
  readonly obj: Float32Array;
  readonly bbox: Float32Array;
  readonly kps: Float32Array;
}

const clamp01 = (v: number): number => Math.max(0, Math.min(1, v));

/**
 * Appends to `out` every cell of `head` scoring at least `scoreThreshold`, as a detection in input pixels of a
 * `inputWidth` x `inputHeight` input (multiples of 32). Throws when an output's length does not fit the grid.
 */
export function decodeYuNetHead(
  head: YuNetHead,
  inputWidth: number,
  inputHeight: number,
  scoreThreshold: number,
  out: Detection[],
): void {
  const s = head.stride;
  const cols = inputWidth / s;
  const rows = inputHeight / s;
  if (!Number.isInteger(cols) || !Number.isInteger(rows)) {
    throw new RangeError(`YuNet input ${inputWidth}x${inputHeight} is not a multiple of stride ${s}`);
  }
  const n = cols * rows;
  if (head.cls.length !== n || head.obj.length !== n || head.bbox.length !== 4 * n || head.kps.length !== 10 * n) {
    throw new RangeError(
      `YuNet stride ${s} outputs do not fit a ${cols}x${rows} grid (cls ${head.cls.length}, obj ${head.obj.length}, ` +
        `bbox ${head.bbox.length}, kps ${head.kps.length})`,
    );
  }
  const { cls, obj, bbox, kps } = head;
  for (let idx = 0; idx < n; idx++) {
    const score = Math.sqrt(clamp01(cls[idx] as number) * clamp01(obj[idx] as number));
    if (score < scoreThreshold) continue;
    const r = Math.floor(idx / cols);
    const c = idx - r * cols;
    const b = idx * 4;
    const cx = (c + (bbox[b] as number)) * s;
    const cy = (r + (bbox[b + 1] as number)) * s;
    const w = Math.exp(bbox[b + 2] as number) * s;
    const h = Math.exp(bbox[b + 3] as number) * s;
    const k = idx * 10;
    const pt = (i: number) => ({ x: (c + (kps[k + 2 * i] as number)) * s, y: (r + (kps[k + 2 * i + 1] as number)) * s });
    const mouthRight = pt(3);
    const mouthLeft = pt(4);
    const keypoints: FaceKeypoints = {
      rightEye: pt(0),
      leftEye: pt(1),
      noseTip: pt(2),
      mouth: { x: (mouthRight.x + mouthLeft.x) / 2, y: (mouthRight.y + mouthLeft.y) / 2 },
      mouthRight,
      mouthLeft,
    };
    out.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, keypoints, score });
  }
}
