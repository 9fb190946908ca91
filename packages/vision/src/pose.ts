/**
 * Rough head pose from the four reliable BlazeFace keypoints (eyes, nose tip, mouth). Pure functions.
 *
 * Angles in degrees, weak-perspective model with average facial proportions:
 * - roll: angle of the eye line (positive: the image-right eye is lower, head tilted clockwise in the image).
 * - yaw: the nose tip sits about `NOSE_DEPTH_RATIO` (0.45) inter-eye distances in front of the eye line, so its
 *   sideways offset from the eye midpoint, in inter-eye distances after removing roll, is 0.45 * tan(yaw).
 *   Positive: the nose points to the image's right (the subject turns to their left).
 * - pitch: the nose tip lies at `FRONTAL_NOSE_RATIO` (0.5) of the way from the eye line to the mouth in a frontal
 *   face and ~0.35 eye-mouth distances in front of that plane, so pitch = atan((0.5 - t) / 0.35). Positive: chin up.
 * Expect +-10 degrees of error: BlazeFace keypoints are coarse, faces differ, and yaw and pitch couple.
 */
import type { FaceKeypoints } from "./types.ts";

export interface HeadPose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

export const NOSE_DEPTH_RATIO = 0.45;
export const FRONTAL_NOSE_RATIO = 0.5;
export const NOSE_DEPTH_TO_MOUTH_RATIO = 0.35;

const DEG = 180 / Math.PI;

export function estimatePose(k: FaceKeypoints): HeadPose {
  // image-left eye is the subject's right eye
  const ex = k.leftEye.x - k.rightEye.x;
  const ey = k.leftEye.y - k.rightEye.y;
  const eyeDist = Math.hypot(ex, ey);
  if (!(eyeDist > 0)) return { yaw: 0, pitch: 0, roll: 0 };
  const roll = Math.atan2(ey, ex);
  const c = Math.cos(-roll);
  const s = Math.sin(-roll);
  const mx = (k.leftEye.x + k.rightEye.x) / 2;
  const my = (k.leftEye.y + k.rightEye.y) / 2;
  const rot = (p: { x: number; y: number }) => ({ x: (p.x - mx) * c - (p.y - my) * s, y: (p.x - mx) * s + (p.y - my) * c });
  const nose = rot(k.noseTip);
  const mouth = rot(k.mouth);
  const yaw = Math.atan(nose.x / eyeDist / NOSE_DEPTH_RATIO);
  const pitch = mouth.y > 0 ? Math.atan((FRONTAL_NOSE_RATIO - nose.y / mouth.y) / NOSE_DEPTH_TO_MOUTH_RATIO) : 0;
  return { yaw: yaw * DEG, pitch: pitch * DEG, roll: roll * DEG };
}
