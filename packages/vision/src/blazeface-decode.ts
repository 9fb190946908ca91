/**
 * Decoding of BlazeFace (MediaPipe "face_detection_back", 256x256) raw outputs. Pure functions.
 *
 * MediaPipe's SSD anchor options for this model: input 256x256, strides [16, 32, 32, 32], anchor_offset 0.5,
 * fixed_anchor_size true, aspect ratio 1 with an interpolated scale -> 2 anchors per cell. The three stride-32 layers
 * share one 8x8 grid, so the model emits two heads:
 *   stride 16: 16x16 cells x 2 anchors = 512 rows;  stride 32: 8x8 cells x 6 anchors = 384 rows;  896 in all.
 * Rows are ordered (cellY, cellX, anchor). Each anchor sits at a cell centre ((c + 0.5) / cells). With
 * fixed_anchor_size the anchor's w = h = 1, so the TensorsToDetections calculator (x_scale = y_scale = w_scale =
 * h_scale = 256) decodes, in input pixels:
 *   cx = anchorX * 256 + r[0],  cy = anchorY * 256 + r[1],  w = r[2],  h = r[3],
 *   keypoint k = (anchorX * 256 + r[4 + 2k], anchorY * 256 + r[5 + 2k]),  score = sigmoid(clip(logit, +-100)).
 * This matches keijiro's BlazeFaceBarracuda post-processing shader (anchor + offset / imageSize, with a vertical flip
 * that only Unity's bottom-up textures need) and vladmandic/human's decodeBounds (anchor + offset, pixel units).
 * Keypoint order (MediaPipe): right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion, named
 * for the subject (the right eye appears on the image's left); verified on LFW images in blazeface.int.test.ts.
 */
import { keypointsFromArray, mapKeypoints } from "./keypoints.ts";
import type { Detection, Point } from "./types.ts";

export const BLAZEFACE_INPUT_SIZE = 256;

/** One output head: `cells` x `cells` grid (or `cells` columns x `rows` rows) with `anchorsPerCell` anchors per cell. */
export interface HeadLayout {
  readonly stride: number;
  readonly cells: number;
  /** Rows of the grid; default `cells` (square input). */
  readonly rows?: number;
  readonly anchorsPerCell: number;
}

export const BLAZEFACE_BACK_HEADS: readonly HeadLayout[] = [
  { stride: 16, cells: 16, anchorsPerCell: 2 },
  { stride: 32, cells: 8, anchorsPerCell: 6 },
];

/** Input sides of the size-agnostic model must be multiples of this (its largest stride). */
export const BLAZEFACE_SIZE_MULTIPLE = 32;

/**
 * The heads of the fully convolutional model on a `width` x `height` input (multiples of 32): the same strides and
 * anchors per cell as at 256x256, with `width / stride` columns and `height / stride` rows.
 */
export function blazefaceHeads(width: number, height: number): HeadLayout[] {
  if (!(width > 0 && height > 0 && width % BLAZEFACE_SIZE_MULTIPLE === 0 && height % BLAZEFACE_SIZE_MULTIPLE === 0)) {
    throw new RangeError(`BlazeFace input ${width}x${height}: sides must be positive multiples of ${BLAZEFACE_SIZE_MULTIPLE}`);
  }
  return BLAZEFACE_BACK_HEADS.map((h) => ({
    stride: h.stride,
    cells: width / h.stride,
    rows: height / h.stride,
    anchorsPerCell: h.anchorsPerCell,
  }));
}

/**
 * Anchor centres in input pixels, as [x0, y0, x1, y1, ...] for one head, rows ordered (cellY, cellX, anchor).
 * `inputWidth` x `inputHeight` is the input the grid covers (default 256 x 256); anchor (x, y) sits at
 * ((x + 0.5) / cells * inputWidth, (y + 0.5) / rows * inputHeight).
 */
export function headAnchors(head: HeadLayout, inputWidth = BLAZEFACE_INPUT_SIZE, inputHeight = inputWidth): Float32Array {
  const rows = head.rows ?? head.cells;
  const n = head.cells * rows * head.anchorsPerCell;
  const out = new Float32Array(n * 2);
  let i = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < head.cells; x++) {
      const ax = ((x + 0.5) / head.cells) * inputWidth;
      const ay = ((y + 0.5) / rows) * inputHeight;
      for (let a = 0; a < head.anchorsPerCell; a++) {
        out[i++] = ax;
        out[i++] = ay;
      }
    }
  }
  return out;
}

export function sigmoid(x: number): number {
  const c = Math.min(100, Math.max(-100, x));
  return 1 / (1 + Math.exp(-c));
}

export function logit(p: number): number {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return Math.log(q / (1 - q));
}

/**
 * Decodes one head: `scores` has one logit per anchor, `regressors` 16 values per anchor. Returns candidates with
 * score >= `scoreThreshold`, in input-pixel coordinates (not clipped).
 */
export function decodeHead(
  scores: ArrayLike<number>,
  regressors: ArrayLike<number>,
  anchors: Float32Array,
  scoreThreshold: number,
  out: Detection[] = [],
): Detection[] {
  const n = anchors.length / 2;
  if (scores.length < n || regressors.length < n * 16) {
    throw new RangeError(`BlazeFace head has ${scores.length} scores / ${regressors.length} regressors for ${n} anchors`);
  }
  const minLogit = logit(scoreThreshold);
  for (let i = 0; i < n; i++) {
    const l = scores[i] as number;
    if (!(l >= minLogit)) continue;
    const ax = anchors[i * 2] as number;
    const ay = anchors[i * 2 + 1] as number;
    const r = i * 16;
    const w = regressors[r + 2] as number;
    const h = regressors[r + 3] as number;
    if (!(w > 0 && h > 0)) continue;
    const cx = ax + (regressors[r] as number);
    const cy = ay + (regressors[r + 1] as number);
    const pts: Point[] = [];
    for (let k = 0; k < 6; k++) {
      pts.push({ x: ax + (regressors[r + 4 + 2 * k] as number), y: ay + (regressors[r + 5 + 2 * k] as number) });
    }
    out.push({
      box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
      keypoints: keypointsFromArray(pts),
      score: sigmoid(l),
    });
  }
  return out;
}

/** Maps a detection through x' = x * sx + dx, y' = y * sy + dy. */
export function transformDetection(d: Detection, sx: number, sy: number, dx: number, dy: number): Detection {
  const m = (p: Point): Point => ({ x: p.x * sx + dx, y: p.y * sy + dy });
  return {
    box: { x: d.box.x * sx + dx, y: d.box.y * sy + dy, width: d.box.width * sx, height: d.box.height * sy },
    keypoints: mapKeypoints(d.keypoints, m),
    score: d.score,
  };
}
