/**
 * What the pipeline learns from one frame: every face the detector finds, with its keypoints, quality, gate verdict
 * and (for faces that pass the gate) the aligned chip the recognizer expects. The same function runs on the main
 * thread (`InlineAnalyzer`), or with the models' runs on worker threads (`DetectorPool`).
 */
import type { ChipAlignment } from "@persona/contracts";
import {
  type AlignmentTemplate,
  type Box,
  type DetectOptions,
  type FaceDetector,
  type FaceDetectorOptions,
  type FaceKeypoints,
  type FaceQuality,
  type GateOptions,
  type GateResult,
  type RgbImage,
  FaceDetector as Detector,
  LandmarkDetector,
  type Point,
  alignDetections,
  alignFace68,
  assessQuality,
  keypointAlignment,
  qualityGate,
} from "@persona/vision";

export interface AnalysisOptions {
  /** Detector options for every frame (merged over the detector's defaults). */
  detect: DetectOptions;
  /** Template of the chips the recognizer embeds. */
  template: AlignmentTemplate;
  /** Quality gate; a face that fails it is tracked but never published. */
  gate?: GateOptions;
  /**
   * Align the chips of faces that pass the gate from the 68-point landmark net (dlib's own 51-point fit; ~1.4 ms per
   * face) instead of the detector's 4 keypoints. Only templates with 68-point targets (dlib) use it. Default false.
   */
  landmarks?: boolean;
}

/** The landmark net an analyzer needs for `o` (null when it aligns from keypoints). */
export async function landmarksFor(o: AnalysisOptions, detector: FaceDetectorOptions = {}): Promise<LandmarkDetector | null> {
  if (!o.landmarks || !o.template.landmarks68) return null;
  return LandmarkDetector.create({
    ...(detector.modelsDir !== undefined ? { modelsDir: detector.modelsDir } : {}),
    ...(detector.host ? { host: detector.host } : {}),
  });
}

export interface FaceObservation {
  readonly box: Box;
  readonly keypoints: FaceKeypoints;
  readonly score: number;
  readonly quality: FaceQuality;
  readonly gate: GateResult;
  /** The aligned chip (template size), only for faces that pass the gate. */
  readonly chip: RgbImage | null;
  /** How the chip was aligned (published with it, so recognizers can tell a camera aligning otherwise). */
  readonly alignment?: ChipAlignment;
}

export interface FrameAnalysis {
  readonly faces: FaceObservation[];
  /** Detection time (ms), including resampling and every tile's inference. */
  readonly detectMs: number;
  /** Alignment and quality time for all faces (ms). */
  readonly alignMs: number;
  /** Detector runs (tiles + whole frame). */
  readonly runs: number;
}

/** Detect, align, assess one frame; with `landmarks`, chips of faces that pass the gate are aligned from them. */
export async function analyzeFrame(
  detector: FaceDetector,
  frame: RgbImage,
  o: AnalysisOptions,
  landmarks: LandmarkDetector | null = null,
): Promise<FrameAnalysis> {
  const t0 = performance.now();
  const report = await detector.detectDetailed(frame, o.detect);
  const t1 = performance.now();
  let faces: FaceObservation[];
  if (landmarks && o.template.landmarks68) {
    // quality and gate first, then the landmark net and the chip only for the faces that pass (they are published)
    const assessed = report.detections.map((d) => {
      const quality = assessQuality(frame, d);
      return { d, quality, gate: qualityGate(quality, o.gate) };
    });
    const passing = assessed.filter((a) => a.gate.pass);
    const points =
      passing.length > 0
        ? await landmarks.detect(
            frame,
            passing.map((a) => a.d.keypoints),
          )
        : [];
    const chips = new Map(passing.map((a, k) => [a, alignFace68(frame, points[k] as Point[], o.template).chip]));
    faces = assessed.map((a) => ({
      box: a.d.box,
      keypoints: a.d.keypoints,
      score: a.d.score,
      quality: a.quality,
      gate: a.gate,
      chip: chips.get(a) ?? null,
      alignment: "landmarks68" as const,
    }));
  } else {
    const aligned = alignDetections(frame, report.detections, { template: o.template, ...(o.gate ? { gate: o.gate } : {}) });
    faces = aligned.map((a) => ({
      box: a.box,
      keypoints: a.keypoints,
      score: a.score,
      quality: a.quality,
      gate: a.gate,
      chip: a.gate.pass ? a.chip : null,
      alignment: keypointAlignment(a.keypoints, o.template),
    }));
  }
  return { faces, detectMs: t1 - t0, alignMs: performance.now() - t1, runs: report.runs };
}

/** Runs `analyzeFrame` somewhere: on this thread or on worker threads. */
export interface FaceAnalyzer {
  /** Worker threads used (0 = the calling thread). */
  readonly threads: number;
  analyze(frame: RgbImage): Promise<FrameAnalysis>;
  close(): Promise<void>;
}

/**
 * Detection on the calling thread: simplest, but onnxruntime-node's inference is synchronous, so a tiled 720p frame
 * blocks the event loop for ~35-45 ms (publishing, the live view and health checks wait). For tests and one small
 * camera; the service uses `DetectorPool` unless DETECTOR_THREADS=0.
 */
export class InlineAnalyzer implements FaceAnalyzer {
  readonly threads = 0;
  private constructor(
    private readonly detector: FaceDetector,
    private readonly options: AnalysisOptions,
    private readonly landmarks: LandmarkDetector | null,
  ) {}

  static async create(detector: FaceDetectorOptions, options: AnalysisOptions): Promise<InlineAnalyzer> {
    const d = await Detector.create(detector);
    try {
      return new InlineAnalyzer(d, options, await landmarksFor(options, detector));
    } catch (err) {
      await d.dispose();
      throw err;
    }
  }

  analyze(frame: RgbImage): Promise<FrameAnalysis> {
    return analyzeFrame(this.detector, frame, this.options, this.landmarks);
  }

  async close(): Promise<void> {
    await this.detector.dispose();
    await this.landmarks?.dispose();
  }
}
