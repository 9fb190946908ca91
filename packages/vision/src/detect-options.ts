/**
 * What both face detectors (BlazeFace in detector.ts, YuNet in yunet.ts) take and give: the `detect` options, their
 * defaults and checks, the detailed report, and the last steps every detection list goes through.
 */
import { hardNms, weightedNms } from "./nms.ts";
import type { LevelPlan, TilePlan } from "./tiling.ts";
import { assertRgbImage, type Detection, type RgbImage } from "./types.ts";

export interface DetectOptions {
  /** Smallest face wanted, in frame pixels (max of box width/height). Detections under 0.8 x this are dropped
   * (BlazeFace's boxes of small faces run ~10% small, and a hard cut at the limit would lose faces there); in
   * `tiling: "auto"` it also decides whether and how finely to tile. Default 32. */
  minFaceSize?: number;
  /** Minimum detector confidence. Default 0.5. */
  scoreThreshold?: number;
  /** IoU above which candidates are merged (weighted) or suppressed (hard). Default 0.3 (MediaPipe's value). */
  iouThreshold?: number;
  /** "off": one letterboxed whole-frame pass. "on": tiles + whole frame. "level": one run over the whole level image
   * (the frame scaled as for tiles, see tiling.ts `planLevel`) + a small whole-frame pass for large faces; needs a
   * size-agnostic model (`blazeface-back-dyn.onnx`), else a RangeError. "auto" (default): when a whole-frame pass
   * would see `minFaceSize` faces below `modelMinFacePx` input pixels, "level" if the model allows it, else tiles;
   * otherwise the whole-frame pass. */
  tiling?: "auto" | "off" | "on" | "level";
  /** Tile side in frame pixels; default derived from `minFaceSize` (256 * minFaceSize / modelMinFacePx, so 512 for
   * 32 px faces), never below 256 (no upscaling). */
  tileSize?: number;
  /** Fractional overlap between tiles. Default 0.25. */
  tileOverlap?: number;
  /** Maximum tiles per frame; the tile size grows to respect it (so very large frames lose their smallest faces).
   * Default 24 (a 1920x1080 frame at 512 px tiles needs 15). In "level" mode the level image is capped at
   * `maxTiles` x 256 x 256 pixels the same way. */
  maxTiles?: number;
  /** Smallest face the model finds reliably, in 256-input pixels. Default 16. */
  modelMinFacePx?: number;
  /** "weighted" (default, MediaPipe's blending) or "hard". */
  nms?: "weighted" | "hard";
  /** At most this many faces (highest scores first). Default 1000. */
  maxFaces?: number;
}

/** Detections down to this fraction of `minFaceSize` are kept. */
export const MIN_FACE_SLACK = 0.8;

export const DETECT_DEFAULTS: Required<Omit<DetectOptions, "tileSize">> = {
  minFaceSize: 32,
  scoreThreshold: 0.5,
  iouThreshold: 0.3,
  tiling: "auto",
  tileOverlap: 0.25,
  maxTiles: 24,
  modelMinFacePx: 16,
  nms: "weighted",
  maxFaces: 1000,
};

export interface DetectionReport {
  readonly detections: Detection[];
  /** "whole": one whole-frame pass; "tiles": tiles + whole frame; "level": level image + whole frame. */
  readonly mode: "whole" | "tiles" | "level";
  /** Tile plan used ("tiles" mode), else null. */
  readonly plan: TilePlan | null;
  /** Level plan used ("level" mode), else null. */
  readonly level: LevelPlan | null;
  /** Model runs (tiles or level + whole frame). */
  readonly runs: number;
  /** Candidates before NMS (after tile ownership filtering). */
  readonly candidates: number;
  readonly timings: {
    readonly resampleMs: number;
    readonly inferenceMs: number;
    readonly decodeMs: number;
    readonly totalMs: number;
  };
}

/** Every detect option set (a detector's defaults merged with one call's options). */
export type ResolvedDetectOptions = Required<Omit<DetectOptions, "tileSize">> & Pick<DetectOptions, "tileSize">;

/**
 * The start of both detectors' `detectDetailed`: checks the image, merges the call's options over the detector's
 * defaults and throws a RangeError naming the first option out of its range.
 */
export function resolveDetectOptions(
  image: RgbImage,
  defaults: ResolvedDetectOptions,
  options: DetectOptions,
): ResolvedDetectOptions {
  assertRgbImage(image);
  const o = { ...defaults, ...options };
  validateDetectOptions(o);
  return o;
}

function validateDetectOptions(o: ResolvedDetectOptions): void {
  const bad = (name: string, v: unknown) => new RangeError(`invalid detect option ${name}: ${String(v)}`);
  if (!(o.minFaceSize > 0)) throw bad("minFaceSize", o.minFaceSize);
  if (!(o.scoreThreshold > 0 && o.scoreThreshold < 1)) throw bad("scoreThreshold", o.scoreThreshold);
  if (!(o.iouThreshold > 0 && o.iouThreshold < 1)) throw bad("iouThreshold", o.iouThreshold);
  if (!["auto", "on", "off", "level"].includes(o.tiling)) throw bad("tiling", o.tiling);
  if (!(o.tileOverlap >= 0 && o.tileOverlap <= 0.5)) throw bad("tileOverlap", o.tileOverlap);
  if (!(o.maxTiles >= 1)) throw bad("maxTiles", o.maxTiles);
  if (!(o.modelMinFacePx > 0)) throw bad("modelMinFacePx", o.modelMinFacePx);
  if (o.tileSize !== undefined && !(o.tileSize > 0)) throw bad("tileSize", o.tileSize);
  if (!["weighted", "hard"].includes(o.nms)) throw bad("nms", o.nms);
  if (!(o.maxFaces >= 0)) throw bad("maxFaces", o.maxFaces);
}

/** Candidates merged as `o.nms` says: weighted (MediaPipe's blending) or hard suppression above `o.iouThreshold`. */
export function mergeCandidates(candidates: readonly Detection[], o: ResolvedDetectOptions): Detection[] {
  return o.nms === "hard" ? hardNms(candidates, o.iouThreshold) : weightedNms(candidates, o.iouThreshold);
}

/** The faces a detector returns: none under `MIN_FACE_SLACK` x `minFaceSize`, best score first, at most `maxFaces`. */
export function finalDetections(dets: readonly Detection[], o: ResolvedDetectOptions): Detection[] {
  return dets
    .filter((d) => Math.max(d.box.width, d.box.height) >= MIN_FACE_SLACK * o.minFaceSize)
    .sort((a, b) => b.score - a.score)
    .slice(0, o.maxFaces);
}
