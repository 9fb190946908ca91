/** Non-maximum suppression for face detections. Pure functions. */
import { meanKeypoints } from "./keypoints.ts";
import type { Box, Detection } from "./types.ts";

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Classic NMS: keep the best, drop every remaining candidate whose IoU with it exceeds `iouThreshold`. */
export function hardNms(dets: readonly Detection[], iouThreshold: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.every((k) => iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  }
  return kept;
}

/**
 * MediaPipe's WEIGHTED NMS: take the best remaining candidate, gather all remaining candidates whose IoU with it
 * exceeds `iouThreshold`, and replace the group by the score-weighted mean of their boxes and keypoints, with the
 * group's best score. Smoother and more accurate than hard NMS for the many overlapping anchors BlazeFace fires.
 */
export function weightedNms(dets: readonly Detection[], iouThreshold: number): Detection[] {
  let remaining = [...dets].sort((a, b) => b.score - a.score);
  const out: Detection[] = [];
  while (remaining.length > 0) {
    const top = remaining[0] as Detection;
    const group: Detection[] = [];
    const rest: Detection[] = [];
    for (const d of remaining) (iou(top.box, d.box) > iouThreshold || d === top ? group : rest).push(d);
    remaining = rest;
    if (group.length === 1) {
      out.push(top);
      continue;
    }
    let sw = 0;
    let x0 = 0;
    let y0 = 0;
    let x1 = 0;
    let y1 = 0;
    for (const d of group) {
      const w = d.score;
      sw += w;
      x0 += d.box.x * w;
      y0 += d.box.y * w;
      x1 += (d.box.x + d.box.width) * w;
      y1 += (d.box.y + d.box.height) * w;
    }
    out.push({
      box: { x: x0 / sw, y: y0 / sw, width: (x1 - x0) / sw, height: (y1 - y0) / sw },
      keypoints: meanKeypoints(
        group.map((d) => d.keypoints),
        group.map((d) => d.score),
      ),
      score: top.score,
    });
  }
  return out;
}
