/** Drawing of detections onto a copy of an image, for debugging and visual checks (OpenCV's drawing primitives). */
import { matOf, opencv } from "./cv.ts";
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

const vec = (c: Rgb) => new (opencv().Vec3)(c[0], c[1], c[2]); // the Mat is RGB: Vec3 is (R, G, B)

/** Draws a rectangle outline (in place, OpenCV on the image's own memory), `thickness` pixels inward. */
export function drawBox(img: RgbImage, box: Box, color: Rgb, thickness = 2): void {
  const cv = opencv();
  const t = Math.max(1, Math.round(thickness));
  // OpenCV centres a thick line on the rectangle's edge: inset it so the outline stays inside the box
  const inset = (t - 1) / 2;
  const p0 = new cv.Point2(Math.round(box.x + inset), Math.round(box.y + inset));
  const p1 = new cv.Point2(Math.round(box.x + box.width - inset), Math.round(box.y + box.height - inset));
  matOf(img).drawRectangle(p0, p1, vec(color), t, cv.LINE_8);
}

/** Draws a filled dot of radius `r` (in place). */
export function drawDot(img: RgbImage, x: number, y: number, color: Rgb, r = 1): void {
  const cv = opencv();
  matOf(img).drawCircle(new cv.Point2(Math.round(x), Math.round(y)), Math.max(1, r), vec(color), -1, cv.LINE_8);
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
