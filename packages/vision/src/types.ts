/** An 8-bit RGB image, row-major, 3 bytes per pixel, no padding between rows. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A point in pixel coordinates (x to the right, y down; pixel centres at integer + 0.5 are not assumed). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned box in pixel coordinates. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Face keypoints, named from the subject's point of view as MediaPipe and OpenCV name them: `rightEye` is the
 * subject's right eye, which appears on the image's LEFT side in an unmirrored photo.
 *
 * Every detector gives both eyes, the nose tip and the mouth centre. BlazeFace also gives the two ear tragions (placed
 * poorly); YuNet gives the two mouth corners instead (and `mouth` is their mean), which fit the ArcFace template.
 */
export interface FaceKeypoints {
  readonly rightEye: Point;
  readonly leftEye: Point;
  readonly noseTip: Point;
  readonly mouth: Point;
  readonly rightEar?: Point;
  readonly leftEar?: Point;
  readonly mouthRight?: Point;
  readonly mouthLeft?: Point;
}

/** Every keypoint name, in the canonical order of arrays made by `keypointsToArray` (the ones present). */
export const KEYPOINT_NAMES = [
  "rightEye",
  "leftEye",
  "noseTip",
  "mouth",
  "rightEar",
  "leftEar",
  "mouthRight",
  "mouthLeft",
] as const;
export type KeypointName = (typeof KEYPOINT_NAMES)[number];
/** The four points every detector gives. */
export const CORE_KEYPOINTS = ["rightEye", "leftEye", "noseTip", "mouth"] as const;
/** BlazeFace's six keypoints, in its output order. */
export const BLAZEFACE_KEYPOINTS = ["rightEye", "leftEye", "noseTip", "mouth", "rightEar", "leftEar"] as const;

/** A face found by the detector, in the coordinates of the image given to it. */
export interface Detection {
  readonly box: Box;
  readonly keypoints: FaceKeypoints;
  /** Detector confidence in [0,1] (sigmoid of the model's logit; the max over merged candidates). */
  readonly score: number;
}

export function assertRgbImage(img: RgbImage): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`image buffer has ${data.length} bytes, expected ${width * height * 3} for ${width}x${height} RGB`);
  }
}
