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
 * The six BlazeFace keypoints, named from the subject's point of view as MediaPipe names them:
 * `rightEye` is the subject's right eye, which appears on the image's LEFT side in an unmirrored photo.
 */
export interface FaceKeypoints {
  readonly rightEye: Point;
  readonly leftEye: Point;
  readonly noseTip: Point;
  readonly mouth: Point;
  readonly rightEar: Point;
  readonly leftEar: Point;
}

/** Keypoint names in the model's output order. */
export const KEYPOINT_NAMES = ["rightEye", "leftEye", "noseTip", "mouth", "rightEar", "leftEar"] as const;
export type KeypointName = (typeof KEYPOINT_NAMES)[number];

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
