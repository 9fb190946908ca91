/** Drawing of detections onto a copy of an image, for debugging and visual checks. Pure functions. */
import { keypointNames } from "./keypoints.ts";
import type { Box, Detection, KeypointName, Point, RgbImage } from "./types.ts";

export type Rgb = readonly [number, number, number];

/** Keypoint colours: right eye red, left eye green, nose blue, mouth yellow, ears magenta / cyan, mouth corners
 * orange (the subject's right) / white. */
export const KEYPOINT_COLORS: Readonly<Record<KeypointName, Rgb>> = {
  rightEye: [255, 0, 0],
  leftEye: [0, 255, 0],
  noseTip: [0, 0, 255],
  mouth: [255, 255, 0],
  rightEar: [255, 0, 255],
  leftEar: [0, 255, 255],
  mouthRight: [255, 128, 0],
  mouthLeft: [255, 255, 255],
};

function setPixel(img: RgbImage, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 3;
  img.data[i] = c[0];
  img.data[i + 1] = c[1];
  img.data[i + 2] = c[2];
}

/** Draws a rectangle outline (in place). */
export function drawBox(img: RgbImage, box: Box, color: Rgb, thickness = 2): void {
  const x0 = Math.round(box.x);
  const y0 = Math.round(box.y);
  const x1 = Math.round(box.x + box.width);
  const y1 = Math.round(box.y + box.height);
  for (let t = 0; t < thickness; t++) {
    for (let x = x0; x <= x1; x++) {
      setPixel(img, x, y0 + t, color);
      setPixel(img, x, y1 - t, color);
    }
    for (let y = y0; y <= y1; y++) {
      setPixel(img, x0 + t, y, color);
      setPixel(img, x1 - t, y, color);
    }
  }
}

/** Draws a filled square dot of half-size `r` (in place). */
export function drawDot(img: RgbImage, x: number, y: number, color: Rgb, r = 1): void {
  const cx = Math.round(x);
  const cy = Math.round(y);
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) setPixel(img, cx + dx, cy + dy, color);
}

/** Returns a copy of `img` with each detection's box (colour by score: green >= 0.75, orange below) and keypoints. */
export function drawDetections(
  img: RgbImage,
  dets: readonly Detection[],
  opts: { thickness?: number; dot?: number } = {},
): RgbImage {
  const out: RgbImage = { data: img.data.slice(), width: img.width, height: img.height };
  const thickness = opts.thickness ?? Math.max(1, Math.round(Math.max(img.width, img.height) / 600));
  for (const d of dets) {
    drawBox(out, d.box, d.score >= 0.75 ? [0, 255, 0] : [255, 160, 0], thickness);
    const r = opts.dot ?? Math.max(1, Math.round(Math.min(d.box.width, d.box.height) / 30));
    for (const n of keypointNames(d.keypoints)) {
      const p = d.keypoints[n] as Point;
      drawDot(out, p.x, p.y, KEYPOINT_COLORS[n], r);
    }
  }
  return out;
}
