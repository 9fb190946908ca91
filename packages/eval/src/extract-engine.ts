/**
 * Image bytes -> face embedding, the way the evaluation does it: decode -> detect (BlazeFace) -> pick one face ->
 * align with the model's template -> embed (plain and, with flip TTA, mirrored). Runs in worker threads
 * (extract-worker.ts) or in-process; `extract.ts` adds caching and the pool.
 */
import {
  type AlignmentTemplate,
  alignFace,
  alignFace68,
  enhanceChip,
  type Detection,
  type DetectOptions,
  decodeImage,
  Embedder,
  type EmbedderSpec,
  type DetectorKind,
  FaceDetector,
  mapKeypoints,
  type FaceKeypoints,
  flipChip,
  LandmarkDetector,
  type RgbImage,
} from "@persona/vision";

/** Which detected face is "the" face of an image. */
export type FacePick =
  /** nearest box centre to the image centre (LFW: the labelled person is centred) */
  | "centre"
  /** biggest box */
  | "largest"
  /** highest detector score */
  | "score";

/** What to do with an image in which no face is detected. */
export type NoFacePolicy =
  /**
   * Align as if the face sat where LFW's deep-funneled images put it: `LFW_CANONICAL_KEYPOINTS` scaled to the image
   * size (the documented fallback for LFW; for other sets only sensible for centred face crops).
   */
  | "centre"
  /** no embedding: the image counts as a failure (pairs score -1, probes become unknown) */
  | "skip";

/**
 * Median keypoints of the centre face over all 13,233 LFW (deep-funneled, 250x250) images, measured with
 * BlazeFace back-256 (`eval-lfw.ts --tasks canonical`); used by the `"centre"` no-face fallback, scaled to the
 * image's size.
 */
export const LFW_CANONICAL_KEYPOINTS: FaceKeypoints = {
  rightEye: { x: 103.1, y: 113.1 },
  leftEye: { x: 146.9, y: 112.6 },
  noseTip: { x: 125.2, y: 138.0 },
  mouth: { x: 125.7, y: 160.5 },
  rightEar: { x: 81.1, y: 124.2 },
  leftEar: { x: 170.3, y: 122.9 },
};
export const LFW_IMAGE_SIZE = 250;

export function canonicalKeypoints(width: number, height: number): FaceKeypoints {
  const sx = width / LFW_IMAGE_SIZE;
  const sy = height / LFW_IMAGE_SIZE;
  return mapKeypoints(LFW_CANONICAL_KEYPOINTS, (p) => ({ x: p.x * sx, y: p.y * sy }));
}

/** Everything that determines an embedding (besides the image). Plain data: it crosses thread boundaries. */
export interface ExtractSettings {
  readonly model: EmbedderSpec;
  /** Alignment template (default: the model's). Must have the model's input size. */
  readonly template: AlignmentTemplate;
  /**
   * More templates for a multi-crop ensemble (experiments): the face is also aligned with each of these, and the
   * image's embedding is the normalised mean of all crops' unit embeddings (flipped ones likewise). Default none.
   */
  readonly extraTemplates: readonly AlignmentTemplate[];
  /** Also embed the mirrored chip (flip TTA); both vectors are returned. */
  readonly flip: boolean;
  /** Enhance each chip before embedding (`enhanceChip`: gamma, equalisation, sharpening as its measures call for). */
  readonly enhance: boolean;
  readonly detector: DetectorKind;
  readonly detect: DetectOptions;
  readonly pick: FacePick;
  readonly noFace: NoFacePolicy;
  /** Align from the 68-point landmark net (null: from BlazeFace's keypoints). */
  readonly landmarks: { readonly cropScale: number } | null;
  readonly modelsDir: string | undefined;
  /** Largest onnxruntime batch. */
  readonly maxBatch: number;
}

/** The detector's result for one image, as cached. */
export interface DetectionInfo {
  readonly width: number;
  readonly height: number;
  /** Faces found. */
  readonly faces: number;
  /** The picked face, or null. */
  readonly chosen: Detection | null;
}

export interface ExtractItem {
  readonly bytes: Uint8Array;
  /** A cached detection for these bytes (skips the detector). */
  readonly detection?: DetectionInfo | undefined;
}

export type ExtractStatus = "detected" | "fallback" | "no_face" | "failed";

export interface ExtractResult {
  readonly status: ExtractStatus;
  /** Null when decoding failed. */
  readonly detection: DetectionInfo | null;
  /** Unit-length embedding of the chip (null for no_face / failed). */
  readonly embedding: Float32Array | null;
  /** Unit-length embedding of the mirrored chip (flip settings only). */
  readonly flipped: Float32Array | null;
  readonly error?: string;
}

export interface StageTimes {
  decodeMs: number;
  detectMs: number;
  alignMs: number;
  embedMs: number;
}

export function pickFace(dets: readonly Detection[], width: number, height: number, pick: FacePick): Detection | null {
  if (dets.length === 0) return null;
  let best: Detection | null = null;
  let bestV = Number.NEGATIVE_INFINITY;
  for (const d of dets) {
    const v =
      pick === "centre"
        ? -Math.hypot(d.box.x + d.box.width / 2 - width / 2, d.box.y + d.box.height / 2 - height / 2)
        : pick === "largest"
          ? d.box.width * d.box.height
          : d.score;
    if (v > bestV) {
      bestV = v;
      best = d;
    }
  }
  return best;
}

/** normalise(sum of unit vectors). */
function meanDirection(vs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array((vs[0] as Float32Array).length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i] = (out[i] as number) + (v[i] as number);
  let n = 0;
  for (let i = 0; i < out.length; i++) n += (out[i] as number) ** 2;
  const k = 1 / Math.sqrt(n);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * k;
  return out;
}

/** Detector + embedder for one thread. */
export class ExtractEngine {
  readonly settings: ExtractSettings;
  readonly times: StageTimes = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  #detector: FaceDetector;
  #embedder: Embedder;
  #landmarks: LandmarkDetector | null;

  private constructor(settings: ExtractSettings, detector: FaceDetector, embedder: Embedder, landmarks: LandmarkDetector | null) {
    this.settings = settings;
    this.#detector = detector;
    this.#embedder = embedder;
    this.#landmarks = landmarks;
  }

  static async create(settings: ExtractSettings, intraOpNumThreads = 1): Promise<ExtractEngine> {
    for (const t of [settings.template, ...settings.extraTemplates]) {
      if (t.width !== settings.model.inputSize || t.height !== settings.model.inputSize) {
        throw new RangeError(
          `template ${t.name} is ${t.width}x${t.height}; ${settings.model.name} needs ${settings.model.inputSize}`,
        );
      }
    }
    const dirOpt = settings.modelsDir !== undefined ? { modelsDir: settings.modelsDir } : {};
    for (const t of [settings.template, ...settings.extraTemplates]) {
      if (settings.landmarks && !t.landmarks68) {
        throw new RangeError(`template ${t.name} has no 68-point targets: landmark alignment needs dlib templates`);
      }
    }
    const detector = await FaceDetector.create({
      ...dirOpt,
      detector: settings.detector,
      intraOpNumThreads,
      detect: settings.detect,
    });
    let landmarks: LandmarkDetector | null = null;
    try {
      if (settings.landmarks) {
        landmarks = await LandmarkDetector.create({ ...dirOpt, intraOpNumThreads, cropScale: settings.landmarks.cropScale });
      }
      const embedder = await Embedder.create({
        ...dirOpt,
        model: settings.model,
        intraOpNumThreads,
        maxBatch: settings.maxBatch,
      });
      return new ExtractEngine(settings, detector, embedder, landmarks);
    } catch (e) {
      await detector.dispose();
      await landmarks?.dispose();
      throw e;
    }
  }

  /** Processes a batch of images; chips are embedded together (batches of `maxBatch`). Never throws per image. */
  async process(items: readonly ExtractItem[]): Promise<ExtractResult[]> {
    const s = this.settings;
    const results: (ExtractResult | null)[] = [];
    const chips: RgbImage[] = [];
    const chipOf: number[] = [];
    const detections: (DetectionInfo | null)[] = [];
    for (const item of items) {
      let img: RgbImage;
      let t = performance.now();
      try {
        img = await decodeImage(item.bytes);
      } catch (e) {
        results.push({
          status: "failed",
          detection: null,
          embedding: null,
          flipped: null,
          error: e instanceof Error ? e.message : String(e),
        });
        detections.push(null);
        continue;
      } finally {
        this.times.decodeMs += performance.now() - t;
      }
      t = performance.now();
      let det = item.detection;
      if (!det || det.width !== img.width || det.height !== img.height) {
        const dets = await this.#detector.detect(img);
        det = { width: img.width, height: img.height, faces: dets.length, chosen: pickFace(dets, img.width, img.height, s.pick) };
      }
      this.times.detectMs += performance.now() - t;
      detections.push(det);
      const kp = det.chosen ? det.chosen.keypoints : s.noFace === "centre" ? canonicalKeypoints(img.width, img.height) : null;
      if (!kp) {
        results.push({ status: "no_face", detection: det, embedding: null, flipped: null });
        continue;
      }
      t = performance.now();
      chipOf.push(results.length);
      const points = this.#landmarks ? (await this.#landmarks.detect(img, [kp]))[0] : undefined;
      for (const template of [s.template, ...s.extraTemplates]) {
        const aligned = points ? alignFace68(img, points, template).chip : alignFace(img, kp, template).chip;
        const chip = s.enhance ? enhanceChip(aligned).chip : aligned;
        chips.push(chip);
        if (s.flip) chips.push(flipChip(chip));
      }
      this.times.alignMs += performance.now() - t;
      results.push(null);
    }
    const t = performance.now();
    const embs = chips.length ? await this.#embedder.embed(chips, { flip: false }) : [];
    this.times.embedMs += performance.now() - t;
    const crops = 1 + s.extraTemplates.length;
    const per = (s.flip ? 2 : 1) * crops;
    const pick = (k: number, offset: number): Float32Array => {
      const step = s.flip ? 2 : 1;
      const vs = Array.from({ length: crops }, (_, c) => embs[k * per + c * step + offset] as Float32Array);
      return crops === 1 ? (vs[0] as Float32Array) : meanDirection(vs);
    };
    chipOf.forEach((r, k) => {
      const det = detections[r] as DetectionInfo;
      results[r] = {
        status: det.chosen ? "detected" : "fallback",
        detection: det,
        embedding: pick(k, 0),
        flipped: s.flip ? pick(k, 1) : null,
      };
    });
    return results as ExtractResult[];
  }

  async dispose(): Promise<void> {
    await this.#embedder.dispose();
    await this.#detector.dispose();
    await this.#landmarks?.dispose();
  }
}
