/**
 * 68-point facial landmarks (iBUG scheme) from face-api's FaceLandmark68Net (converted to ONNX by models/build.ts),
 * and alignment from them the way dlib aligns for its ResNet descriptor: a least-squares similarity from points
 * 17..67 onto dlib's mean face (`get_face_chip_details`), where BlazeFace's four keypoints give only a rough fit.
 *
 * The landmark net sees a 112x112 upright square around the face, placed from BlazeFace's keypoints: centred between
 * the eyes' midpoint and the mouth, rotated so the eyes are level, `cropScale` times the eye-mouth distance across.
 */
import * as ort from "onnxruntime-node";
import { type AlignedFace, type AlignOptions, fitSimilarity, toCentre, warpToChip } from "./alignment.ts";
import { EmbedderError } from "./embedder.ts";
import { createSession, MODEL_FILES, type ModelSession, resolveModelPath, type SessionOptions } from "./models.ts";
import { affineScale, applyAffine, invertAffine, type Affine } from "./similarity.ts";
import type { AlignmentTemplate } from "./templates.ts";
import type { FaceKeypoints, Point, RgbImage } from "./types.ts";

export const LANDMARK68_INPUT = 112;
/** Side of the landmark crop in eye-midpoint-to-mouth distances (a judgement call, see packages/eval/README.md). */
export const LANDMARK68_CROP_SCALE = 2.2;

/** Image (pixel-centre coordinates) -> 112x112 landmark crop. */
export function landmarkCropTransform(kp: FaceKeypoints, cropScale = LANDMARK68_CROP_SCALE): Affine {
  const eyes = { x: (kp.rightEye.x + kp.leftEye.x) / 2 - 0.5, y: (kp.rightEye.y + kp.leftEye.y) / 2 - 0.5 };
  const mouth = { x: kp.mouth.x - 0.5, y: kp.mouth.y - 0.5 };
  const c = { x: (eyes.x + mouth.x) / 2, y: (eyes.y + mouth.y) / 2 };
  const d = Math.hypot(mouth.x - eyes.x, mouth.y - eyes.y);
  if (!(d > 0)) throw new RangeError("keypoints are degenerate (eyes and mouth coincide)");
  const angle = Math.atan2(kp.leftEye.y - kp.rightEye.y, kp.leftEye.x - kp.rightEye.x);
  const s = LANDMARK68_INPUT / (cropScale * d);
  const cos = Math.cos(-angle) * s;
  const sin = Math.sin(-angle) * s;
  const h = (LANDMARK68_INPUT - 1) / 2;
  // p' = R(-angle) * s * (p - c) + (h, h)
  return [cos, -sin, h - cos * c.x + sin * c.y, sin, cos, h - sin * c.x - cos * c.y];
}

export interface LandmarkOptions extends SessionOptions {
  modelsDir?: string;
  /** Path of the ONNX file (default `<modelsDir>/face-landmark68.onnx`). */
  modelPath?: string;
  cropScale?: number;
  /** Largest batch per session run. Default 8. */
  maxBatch?: number;
}

/** Runs the 68-point landmark net on faces located by the detector's keypoints. */
export class LandmarkDetector {
  readonly cropScale: number;
  readonly #session: ModelSession;
  readonly #maxBatch: number;

  private constructor(session: ModelSession, cropScale: number, maxBatch: number) {
    this.#session = session;
    this.cropScale = cropScale;
    this.#maxBatch = maxBatch;
  }

  static async create(options: LandmarkOptions = {}): Promise<LandmarkDetector> {
    const path = options.modelPath ?? resolveModelPath(MODEL_FILES.landmark68, options.modelsDir);
    const session = await createSession(path, options);
    if (!session.inputNames.includes("input") || !session.outputNames.includes("landmarks")) {
      await session.release();
      throw new EmbedderError("model_mismatch", `${path} has no input "input" / output "landmarks"`);
    }
    return new LandmarkDetector(session, options.cropScale ?? LANDMARK68_CROP_SCALE, options.maxBatch ?? 8);
  }

  /**
   * The 68 landmarks of each face, in image coordinates of the same convention as detection keypoints (continuous:
   * pixel (i, j) covers [i, i+1) x [j, j+1)).
   */
  async detect(image: RgbImage, faces: readonly FaceKeypoints[]): Promise<Point[][]> {
    const out: Point[][] = [];
    const n = LANDMARK68_INPUT;
    for (let start = 0; start < faces.length; start += this.#maxBatch) {
      const batch = faces.slice(start, start + this.#maxBatch);
      const transforms = batch.map((kp) => landmarkCropTransform(kp, this.cropScale));
      const input = new Float32Array(batch.length * n * n * 3);
      transforms.forEach((m, i) => {
        input.set(warpToChip(image, m, n, n).data, i * n * n * 3);
      });
      const res = await this.#session.run({ input: new ort.Tensor("float32", input, [batch.length, n, n, 3]) });
      const v = res.landmarks?.data as Float32Array | undefined;
      if (!v || v.length !== batch.length * 136)
        throw new EmbedderError("model_mismatch", "landmark model gave no [N,136] output");
      transforms.forEach((m, i) => {
        const inv = invertAffine(m);
        const pts: Point[] = [];
        for (let k = 0; k < 68; k++) {
          // net output: fraction of the crop's width/height (continuous coordinates) -> pixel centres -> image
          const q = applyAffine(inv, {
            x: (v[i * 136 + 2 * k] as number) * n - 0.5,
            y: (v[i * 136 + 2 * k + 1] as number) * n - 0.5,
          });
          pts.push({ x: q.x + 0.5, y: q.y + 0.5 });
        }
        out.push(pts);
      });
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** The image -> chip similarity fitting landmarks 17..67 onto the template's `landmarks68` (dlib's method). */
export function alignmentTransform68(
  landmarks: readonly Point[],
  template: AlignmentTemplate,
): { transform: Affine; residual: number } {
  const dst = template.landmarks68;
  if (!dst) throw new RangeError(`template ${template.name} has no 68-point targets (only dlib templates do)`);
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  return fitSimilarity(landmarks.slice(17).map(toCentre), dst);
}

/** Aligns one face into `template`'s chip from its 68 landmarks. */
export function alignFace68(
  image: RgbImage,
  landmarks: readonly Point[],
  template: AlignmentTemplate,
  opts: AlignOptions = {},
): AlignedFace {
  const { transform, residual } = alignmentTransform68(landmarks, template);
  const chip = warpToChip(image, transform, template.width, template.height, opts);
  return { chip, transform, sourcePixelsPerChipPixel: 1 / affineScale(transform), residual, template: template.name };
}
