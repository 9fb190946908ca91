/**
 * Alignment templates: where a recognizer expects the face keypoints in its input chip. Each recognizer defines its
 * own; the ones here cover the models this project uses.
 *
 * Chip coordinates use pixel centres at integers (OpenCV/insightface/dlib convention): (0, 0) is the centre of the
 * top-left pixel.
 */
import type { KeypointName, Point } from "./types.ts";

export interface AlignmentTemplate {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Target position of each keypoint used for the fit (at least two). Names follow the detector's (subject's
   * right eye = image left). Ears are never used by the built-in templates: BlazeFace places them poorly. */
  readonly points: Readonly<Partial<Record<KeypointName, Point>>>;
  /** Optional per-keypoint least-squares weights (default 1). */
  readonly weights?: Readonly<Partial<Record<KeypointName, number>>>;
  /**
   * Targets of the iBUG 68-point landmarks 17..67 (brows, nose, eyes, mouth: 51 points, jaw left out as dlib does),
   * for alignment from a landmark model (`alignFace68`). dlib templates have them; others cannot use landmarks.
   */
  readonly landmarks68?: readonly Point[];
}

/**
 * ArcFace / insightface 112x112 template (`arcface_dst` in insightface's face_align.py, the standard for
 * MS1M/Glint-trained embedders and for mobileface-style 112x112 models). Its five points are both eyes, the nose tip
 * and the two mouth corners, which YuNet gives; BlazeFace gives a mouth centre instead, fitted onto the mean of the
 * two corners ((41.5493 + 70.7299) / 2, (92.3655 + 92.2041) / 2). See `templateKeypoints`.
 */
export const ARCFACE_112: AlignmentTemplate = {
  name: "arcface-112",
  width: 112,
  height: 112,
  points: {
    rightEye: { x: 38.2946, y: 51.6963 },
    leftEye: { x: 73.5318, y: 51.5014 },
    noseTip: { x: 56.0252, y: 71.7366 },
    mouth: { x: 56.1396, y: 92.2848 },
    mouthRight: { x: 41.5493, y: 92.3655 },
    mouthLeft: { x: 70.7299, y: 92.2041 },
  },
};

/**
 * dlib's mean face shape (points 17..67 of the iBUG 68-point scheme, unit square), as used by dlib's
 * `get_face_chip_details` for the chips its ResNet face descriptor (and Python face_recognition) was trained on.
 */
const DLIB_MEAN_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127,
  0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743,
  0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104,
  0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
] as const;
const DLIB_MEAN_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009,
  0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099,
  0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388,
  0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792,
  0.824182, 0.831803, 0.824182,
] as const;

/** Mean of iBUG-68 points `ids` in dlib's unit mean face. */
function dlibMean(ids: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const id of ids) {
    x += DLIB_MEAN_X[id - 17] as number;
    y += DLIB_MEAN_Y[id - 17] as number;
  }
  return { x: x / ids.length, y: y / ids.length };
}

/**
 * A dlib-style chip template: dlib's mean face mapped as `get_face_chip_details(det, size, padding)` maps it
 * (x = (padding + mx) / (2 padding + 1) * size, likewise y), reduced to the four points BlazeFace provides:
 * eye centres (means of iBUG 36-41 and 42-47), nose tip (30) and mouth centre (mean of corners 48 and 54).
 * dlib fits all 51 points (or its 5-point model's eye corners and nose base); fitting these four instead gives the
 * same chip up to a few pixels, which dlib's descriptor (trained with jitter) tolerates.
 */
export function dlibTemplate(size = 150, padding = 0.25): AlignmentTemplate {
  const map = (p: Point): Point => ({
    x: ((padding + p.x) / (2 * padding + 1)) * size,
    y: ((padding + p.y) / (2 * padding + 1)) * size,
  });
  return {
    name: `dlib-${size}-p${padding}`,
    width: size,
    height: size,
    points: {
      rightEye: map(dlibMean([36, 37, 38, 39, 40, 41])),
      leftEye: map(dlibMean([42, 43, 44, 45, 46, 47])),
      noseTip: map(dlibMean([30])),
      mouth: map(dlibMean([48, 54])),
    },
    landmarks68: DLIB_MEAN_X.map((x, i) => map({ x, y: DLIB_MEAN_Y[i] as number })),
  };
}

/** First iBUG index of `AlignmentTemplate.landmarks68` (points 17..67). */
export const LANDMARKS68_FIRST = 17;

/** The chip dlib's ResNet-29 descriptor expects (150x150, padding 0.25, as face_recognition computes it). */
export const DLIB_150: AlignmentTemplate = dlibTemplate(150, 0.25);

/** Same template in a chip of another size (points scaled with the chip). */
export function resizeTemplate(t: AlignmentTemplate, width: number, height: number): AlignmentTemplate {
  const sx = width / t.width;
  const sy = height / t.height;
  return mapTemplate(t, `${t.name}@${width}x${height}`, width, height, (p) => ({
    x: (p.x + 0.5) * sx - 0.5,
    y: (p.y + 0.5) * sy - 0.5,
  }));
}

/**
 * Adds (or with a negative value removes) context around the face: the face shrinks by 1 / (1 + 2 * margin) about the
 * chip centre, as dlib's `padding` does. `margin` 0.1 shows 10% more of the image on each side.
 */
export function withMargin(t: AlignmentTemplate, margin: number): AlignmentTemplate {
  if (!(1 + 2 * margin > 0)) throw new RangeError(`margin ${margin} too negative`);
  const k = 1 / (1 + 2 * margin);
  const cx = (t.width - 1) / 2;
  const cy = (t.height - 1) / 2;
  return mapTemplate(t, `${t.name}+m${margin}`, t.width, t.height, (p) => ({ x: cx + (p.x - cx) * k, y: cy + (p.y - cy) * k }));
}

function mapTemplate(
  t: AlignmentTemplate,
  name: string,
  width: number,
  height: number,
  f: (p: Point) => Point,
): AlignmentTemplate {
  const points: Partial<Record<KeypointName, Point>> = {};
  for (const [k, p] of Object.entries(t.points) as [KeypointName, Point][]) points[k] = f(p);
  return {
    name,
    width,
    height,
    points,
    ...(t.weights ? { weights: t.weights } : {}),
    ...(t.landmarks68 ? { landmarks68: t.landmarks68.map(f) } : {}),
  };
}
