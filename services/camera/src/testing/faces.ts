import type { Box, FaceKeypoints } from "@persona/vision";

/** A square face of side `size` centred at (cx, cy), with keypoints where BlazeFace puts them (for the camera's tests). */
export function squareFace(cx: number, cy: number, size: number): { box: Box; keypoints: FaceKeypoints } {
  const s = size;
  return {
    box: { x: cx - s / 2, y: cy - s / 2, width: s, height: s },
    keypoints: {
      rightEye: { x: cx - 0.18 * s, y: cy - 0.1 * s },
      leftEye: { x: cx + 0.18 * s, y: cy - 0.1 * s },
      noseTip: { x: cx, y: cy + 0.05 * s },
      mouth: { x: cx, y: cy + 0.22 * s },
      rightEar: { x: cx - 0.45 * s, y: cy },
      leftEar: { x: cx + 0.45 * s, y: cy },
    },
  };
}
