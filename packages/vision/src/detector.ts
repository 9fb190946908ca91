/**
 * BlazeFace (MediaPipe back-camera, 256x256) face detector on onnxruntime-node, with whole-frame, tiled and level
 * modes.
 *
 * `blazeface-back-256.onnx` has a fixed input [1,256,256,3], so tiles run one after another on the same session; each
 * run is ~3-7 ms on one thread. See tiling.ts for how tiles are planned and de-duplicated. `blazeface-back-dyn.onnx`
 * (the same network with a size-agnostic graph, the default when present) also takes any input whose sides are
 * multiples of 32, so the whole level image runs at once ("level" mode): fewer pixels than the overlapping tiles and
 * no seams.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import {
  BLAZEFACE_BACK_HEADS,
  BLAZEFACE_INPUT_SIZE,
  BLAZEFACE_SIZE_MULTIPLE,
  blazefaceHeads,
  decodeHead,
  headAnchors,
  transformDetection,
} from "./blazeface-decode.ts";
import type { DetectionReport, DetectOptions, ResolvedDetectOptions } from "./detect-options.ts";
import { DETECT_DEFAULTS, finalDetections, mergeCandidates, resolveDetectOptions } from "./detect-options.ts";
import { ModelLoadError } from "./errors.ts";
import { MODEL_FILES, createSession, type ModelSession, resolveModelPath, type SessionOptions } from "./models.ts";
import type { Mat } from "./cv.ts";
import { fillTensorRect, fillTensorWindow, resizeMat, TensorBuffers } from "./resample.ts";
import { type LevelPlan, planLevel, planTiles, type Tile, type TilePlan, wholeFrameScale, wholeFrameSuffices } from "./tiling.ts";
import type { Detection, RgbImage } from "./types.ts";
import { isYuNetSession, resolveYuNet, sharedModelsDir, YUNET_DETECT_DEFAULTS, YUNET_FILE, YuNetDetector } from "./yunet.ts";

export interface FaceDetectorOptions extends SessionOptions {
  /** Model file; relative names resolve against `modelsDir` / `PERSONA_MODELS_DIR` / `<repo>/models/dist`. Given, it
   * decides the detector (BlazeFace or YuNet, told apart by the model's outputs). Without it: `detector`; BlazeFace
   * is `blazeface-back-dyn.onnx` when that file exists (size-agnostic: "level" mode), else `blazeface-back-256.onnx`. */
  modelPath?: string;
  /** Without `modelPath`: which detector (default env `PERSONA_DETECTOR`, else "auto": YuNet when present). */
  detector?: DetectorChoice;
  /** Where YuNet is looked for (default env `PERSONA_SHARED_MODELS_DIR`, else `<repo>/../shared/models`). */
  sharedModelsDir?: string;
  modelsDir?: string;
  /** Defaults for every `detect` call. */
  detect?: DetectOptions;
}

interface HeadBinding {
  scoresName: string;
  boxesName: string;
  anchors: Float32Array;
}

/** Faces at least this many level pixels (short of the level's own size) are left to the whole-frame pass in
 * "level" mode; see the README for the measurement. */
const LEVEL_MAX_FACE_PX = 224;

/**
 * A face detector: BlazeFace (`BlazeFaceDetector`, built from npm) or YuNet (`YuNetDetector`, from the shared models
 * folder). `FaceDetector.create` picks one (see `createFaceDetector`).
 */
export interface FaceDetector {
  readonly kind: DetectorKind;
  readonly modelPath: string;
  /** True when the model takes inputs of any size (multiples of 32): "level" mode is available. */
  readonly dynamicInput: boolean;
  /** The options every `detect` call starts from. */
  readonly defaults: ResolvedDetectOptions;
  /** Why this detector was chosen over the preferred one (e.g. YuNet's file missing), or null. Log it once. */
  readonly note: string | null;
  /** Detects faces; coordinates are in `image` pixels, sorted by score (best first). */
  detect(image: RgbImage, options?: DetectOptions): Promise<Detection[]>;
  /** `detect` plus the plan, run count and timings. */
  detectDetailed(image: RgbImage, options?: DetectOptions): Promise<DetectionReport>;
  dispose(): Promise<void>;
}

export type DetectorKind = "blazeface" | "yunet";

/** The `detect` defaults of a detector kind. */
export function detectDefaultsFor(kind: DetectorKind): Required<Omit<DetectOptions, "tileSize">> {
  return kind === "yunet" ? { ...YUNET_DETECT_DEFAULTS } : { ...DETECT_DEFAULTS };
}

/** The kind `choice` resolves to here: "auto" is YuNet when its file is present and checks out. */
export function resolveDetectorKind(choice: DetectorChoice, dir?: string): DetectorKind {
  if (choice !== "auto") return choice;
  return resolveYuNet(dir).path !== null ? "yunet" : "blazeface";
}
/** Which detector to load: "auto" is YuNet when its file is present (and checks out), else BlazeFace. */
export type DetectorChoice = DetectorKind | "auto";

export const FaceDetector = {
  create: createFaceDetector,
};

/**
 * Loads a detector.
 * - `modelPath` given: that file, BlazeFace or YuNet by its outputs;
 * - else `detector` (default env `PERSONA_DETECTOR`, else "auto"): "yunet" needs YuNet's file (a clear error when it
 *   is missing or not the published one), "blazeface" the npm-built BlazeFace, "auto" YuNet when present, else
 *   BlazeFace with `note` saying why (services log it once).
 */
export async function createFaceDetector(options: FaceDetectorOptions = {}): Promise<FaceDetector> {
  if (options.modelPath) {
    const path = resolveModelPath(options.modelPath, options.modelsDir);
    const session = await createSession(path, options);
    if (isYuNetSession(session)) {
      return YuNetDetector.fromSession(path, session, { ...(options.detect ? { detect: options.detect } : {}) });
    }
    await session.release();
    return BlazeFaceDetector.create(options);
  }
  const choice = parseDetectorChoice(options.detector ?? process.env.PERSONA_DETECTOR);
  if (choice === "blazeface") return BlazeFaceDetector.create(options);
  const { kind, note } = detectorChoice(choice, options.sharedModelsDir);
  if (kind === "blazeface") return BlazeFaceDetector.create({ ...options, ...(note ? { note } : {}) });
  return YuNetDetector.create(resolveYuNet(options.sharedModelsDir).path as string, {
    ...sessionOptions(options),
    ...(options.detect ? { detect: options.detect } : {}),
  });
}

/**
 * What `FaceDetector.create` without a model path loads here, and why when it falls back (for a process that logs
 * before its detectors load, e.g. in worker threads): `{ kind, note }` as the detector would have them.
 */
export function detectorChoice(choice?: DetectorChoice, dir?: string): { kind: DetectorKind; note: string | null } {
  const c = parseDetectorChoice(choice ?? process.env.PERSONA_DETECTOR);
  if (c === "blazeface") return { kind: "blazeface", note: null };
  const y = resolveYuNet(dir);
  if (y.path !== null) return { kind: "yunet", note: null };
  if (c === "yunet") throw new ModelLoadError(join(dir ?? sharedModelsDir(), YUNET_FILE), y.reason);
  return { kind: "blazeface", note: `${y.reason}: using BlazeFace (npm-built), which finds fewer small faces` };
}

/** `PERSONA_DETECTOR` (auto, yunet, blazeface; empty is auto); anything else is a RangeError. */
export function parseDetectorChoice(v: string | undefined): DetectorChoice {
  const s = (v ?? "").trim().toLowerCase();
  if (s === "" || s === "auto") return "auto";
  if (s === "yunet" || s === "blazeface") return s;
  throw new RangeError(`the detector must be auto, yunet or blazeface (PERSONA_DETECTOR), not ${JSON.stringify(v)}`);
}

function sessionOptions(o: SessionOptions): SessionOptions {
  return {
    ...(o.intraOpNumThreads !== undefined ? { intraOpNumThreads: o.intraOpNumThreads } : {}),
    ...(o.logSeverityLevel !== undefined ? { logSeverityLevel: o.logSeverityLevel } : {}),
  };
}

/** BlazeFace (MediaPipe back-camera) with whole-frame, tiled and level modes. */
export class BlazeFaceDetector implements FaceDetector {
  readonly kind = "blazeface" as const;
  readonly note: string | null;
  readonly modelPath: string;
  readonly defaults: ResolvedDetectOptions;
  /** True when the model takes inputs of any size (multiples of 32): "level" mode is available. */
  readonly dynamicInput: boolean;
  #session: ModelSession;
  #inputName: string;
  #heads: HeadBinding[];
  #anchorCache = new Map<string, Float32Array[]>();
  readonly #buffers = new TensorBuffers();

  private constructor(
    modelPath: string,
    session: ModelSession,
    inputName: string,
    heads: HeadBinding[],
    dynamicInput: boolean,
    defaults: DetectOptions,
    note: string | null,
  ) {
    this.note = note;
    this.modelPath = modelPath;
    this.#session = session;
    this.#inputName = inputName;
    this.#heads = heads;
    this.dynamicInput = dynamicInput;
    this.defaults = { ...DETECT_DEFAULTS, ...defaults };
  }

  /** Loads the model and binds its outputs by shape (one warm-up run on a blank input), then probes whether it
   * accepts a non-square input of another size (a 96x64 run whose head lengths must match the 6x4 / 3x2 grids). */
  static async create(options: FaceDetectorOptions & { note?: string } = {}): Promise<BlazeFaceDetector> {
    const modelPath = options.modelPath
      ? resolveModelPath(options.modelPath, options.modelsDir)
      : defaultModelPath(options.modelsDir);
    const session = await createSession(modelPath, options);
    const inputName = session.inputNames[0];
    if (!inputName) throw new Error(`${modelPath} has no input`);
    const size = BLAZEFACE_INPUT_SIZE;
    const blank = new ort.Tensor("float32", new Float32Array(size * size * 3), [1, size, size, 3]);
    const out = await session.run({ [inputName]: blank });
    const heads = bindHeads(out, modelPath);
    const dynamicInput = heads.length === 2 && (await probeDynamic(session, inputName, heads));
    return new BlazeFaceDetector(modelPath, session, inputName, heads, dynamicInput, options.detect ?? {}, options.note ?? null);
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
    return (await this.detectDetailed(image, options)).detections;
  }

  async detectDetailed(image: RgbImage, options: DetectOptions = {}): Promise<DetectionReport> {
    const o = resolveDetectOptions(image, this.defaults, options);
    const t0 = performance.now();
    const size = BLAZEFACE_INPUT_SIZE;
    const { width: W, height: H } = image;
    if (o.tiling === "level" && !this.dynamicInput) {
      throw new RangeError(`invalid detect option tiling: "level" needs a size-agnostic model, ${this.modelPath} is not`);
    }
    const { levelPlan, plan } = this.#plan(W, H, o);
    // A plan whose single tile covers the frame is just a whole-frame pass.
    const tiled = plan !== null && plan.tiles.length > 1;
    const input = this.#buffers.take(size * size * 3);
    const pass = new Passes(this.#session, this.#inputName, this.#heads, o.scoreThreshold, (w, h) => this.#anchors(w, h));
    const tensor = new ort.Tensor("float32", input, [1, size, size, 3]);
    let level: Mat | null = null;
    if (levelPlan) await this.#levelPasses(image, levelPlan, pass);
    if (tiled && plan) level = await this.#tilePasses(image, plan, input, tensor, pass);
    // Whole-frame (letterboxed, centred) pass: always in "off"/"auto" without tiles; for large faces when tiled.
    if (!levelPlan) await this.#wholePass(image, level, tiled && plan ? plan.overlap * 0.75 : 0, input, tensor, pass);
    this.#buffers.give(input);
    level?.release();
    const td = performance.now();
    const detections = finalDetections(mergeCandidates(pass.candidates, o), o);
    pass.decodeMs += performance.now() - td;
    return {
      detections,
      mode: levelPlan ? "level" : tiled ? "tiles" : "whole",
      plan: tiled ? plan : null,
      level: levelPlan,
      runs: pass.runs,
      candidates: pass.candidates.length,
      timings: {
        resampleMs: pass.resampleMs,
        inferenceMs: pass.inferenceMs,
        decodeMs: pass.decodeMs,
        totalMs: performance.now() - t0,
      },
    };
  }

  /** Which passes a frame needs: a level (size-agnostic model) or tiles for faces the whole frame would lose. */
  #plan(W: number, H: number, o: ResolvedDetectOptions): { levelPlan: LevelPlan | null; plan: TilePlan | null } {
    const size = BLAZEFACE_INPUT_SIZE;
    const needsFine = o.tiling === "auto" && !wholeFrameSuffices(W, H, o.minFaceSize, size, o.modelMinFacePx);
    const useLevel = o.tiling === "level" || (needsFine && this.dynamicInput);
    const useTiles = o.tiling === "on" || (needsFine && !this.dynamicInput);
    const levelPlan = useLevel
      ? planLevel({
          width: W,
          height: H,
          minFaceSize: o.minFaceSize,
          inputSize: size,
          modelMinFacePx: o.modelMinFacePx,
          maxPixels: o.maxTiles * size * size,
          multiple: BLAZEFACE_SIZE_MULTIPLE,
        })
      : null;
    const plan = useTiles
      ? planTiles({
          width: W,
          height: H,
          minFaceSize: o.minFaceSize,
          inputSize: size,
          modelMinFacePx: o.modelMinFacePx,
          overlap: o.tileOverlap,
          maxTiles: o.maxTiles,
          ...(o.tileSize !== undefined ? { tileSize: o.tileSize } : {}),
        })
      : null;
    return { levelPlan, plan };
  }

  /**
   * Level mode: small faces from one pass over the frame at the level's size; faces at least LEVEL_MAX_FACE_PX there
   * (frame px) from the frame letterboxed into a 256-wide (or -high) input padded to multiples of 32 only.
   */
  async #levelPasses(image: RgbImage, levelPlan: LevelPlan, pass: Passes): Promise<void> {
    const size = BLAZEFACE_INPUT_SIZE;
    const { width: W, height: H } = image;
    const { levelWidth: lw, levelHeight: lh, inputWidth: iw, inputHeight: ih } = levelPlan;
    let tr = performance.now();
    const level = resizeMat(image, lw, lh);
    const buf = this.#buffers.take(iw * ih * 3);
    fillTensorRect(level, 0, 0, iw, ih, buf);
    pass.resampleMs += performance.now() - tr;
    const sx = W / lw;
    const sy = H / lh;
    const maxLevelFace = LEVEL_MAX_FACE_PX * Math.max(sx, sy);
    for (const d of await pass.run(new ort.Tensor("float32", buf, [1, ih, iw, 3]))) {
      const f = transformDetection(d, sx, sy, 0, 0);
      if (Math.max(f.box.width, f.box.height) < maxLevelFace) pass.candidates.push(f);
    }
    this.#buffers.give(buf);
    const s = wholeFrameScale(W, H, size);
    const ww = Math.max(1, Math.min(size, Math.round(W * s)));
    const wh = Math.max(1, Math.min(size, Math.round(H * s)));
    const pw = Math.ceil(ww / BLAZEFACE_SIZE_MULTIPLE) * BLAZEFACE_SIZE_MULTIPLE;
    const ph = Math.ceil(wh / BLAZEFACE_SIZE_MULTIPLE) * BLAZEFACE_SIZE_MULTIPLE;
    tr = performance.now();
    const whole = resizeMat(level, ww, wh);
    level.release();
    const ox = Math.floor((pw - ww) / 2);
    const oy = Math.floor((ph - wh) / 2);
    const wbuf = this.#buffers.take(pw * ph * 3);
    fillTensorRect(whole, -ox, -oy, pw, ph, wbuf);
    whole.release(); // native pixels: freed now, not whenever V8 collects the small wrapper
    pass.resampleMs += performance.now() - tr;
    const wsx = W / ww;
    const wsy = H / wh;
    for (const d of await pass.run(new ort.Tensor("float32", wbuf, [1, ph, pw, 3]))) {
      const f = transformDetection(d, wsx, wsy, -ox * wsx, -oy * wsy);
      if (Math.max(f.box.width, f.box.height) >= maxLevelFace) pass.candidates.push(f);
    }
    this.#buffers.give(wbuf);
  }

  /** Tiles of the frame resampled to the plan's level; each keeps the faces it owns. Returns the level (released by the caller). */
  async #tilePasses(image: RgbImage, plan: TilePlan, input: Float32Array, tensor: ort.Tensor, pass: Passes): Promise<Mat> {
    const size = BLAZEFACE_INPUT_SIZE;
    const { width: W, height: H } = image;
    let tr = performance.now();
    const level = resizeMat(image, plan.levelWidth, plan.levelHeight);
    pass.resampleMs += performance.now() - tr;
    const sx = W / plan.levelWidth;
    const sy = H / plan.levelHeight;
    for (const tile of plan.tiles) {
      tr = performance.now();
      fillTensorWindow(level, tile.levelX, tile.levelY, size, input);
      pass.resampleMs += performance.now() - tr;
      for (const d of await pass.run(tensor)) {
        const f = transformDetection(d, sx, sy, tile.levelX * sx, tile.levelY * sy);
        if (ownedByTile(f, tile, W, H)) pass.candidates.push(f);
      }
    }
    return level;
  }

  /**
   * The frame (or the tiles' level) letterboxed, centred, into the fixed input; keeps faces of at least `minWhole`
   * frame px (when tiled, smaller ones are the tiles').
   */
  async #wholePass(
    image: RgbImage,
    level: Mat | null,
    minWhole: number,
    input: Float32Array,
    tensor: ort.Tensor,
    pass: Passes,
  ): Promise<void> {
    const size = BLAZEFACE_INPUT_SIZE;
    const { width: W, height: H } = image;
    const s = wholeFrameScale(W, H, size);
    const lw = Math.max(1, Math.min(size, Math.round(W * s)));
    const lh = Math.max(1, Math.min(size, Math.round(H * s)));
    const tr = performance.now();
    const small = resizeMat(level ?? image, lw, lh);
    const ox = Math.floor((size - lw) / 2);
    const oy = Math.floor((size - lh) / 2);
    fillTensorWindow(small, -ox, -oy, size, input);
    small.release();
    pass.resampleMs += performance.now() - tr;
    const sx = W / lw;
    const sy = H / lh;
    for (const d of await pass.run(tensor)) {
      const f = transformDetection(d, sx, sy, -ox * sx, -oy * sy);
      if (Math.max(f.box.width, f.box.height) >= minWhole) pass.candidates.push(f);
    }
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }

  /** Anchors of each head for a `width` x `height` input (multiples of 32), cached per size. */
  #anchors(width: number, height: number): Float32Array[] {
    const key = `${width}x${height}`;
    let a = this.#anchorCache.get(key);
    if (!a) {
      a = blazefaceHeads(width, height).map((h) => headAnchors(h, width, height));
      if (this.#anchorCache.size > 16) this.#anchorCache.clear();
      this.#anchorCache.set(key, a);
    }
    return a;
  }
}

/** `blazeface-back-dyn.onnx` in the models directory if it exists, else `blazeface-back-256.onnx`. */
function defaultModelPath(modelsDir?: string): string {
  const dyn = resolveModelPath(MODEL_FILES.blazefaceDynamic, modelsDir);
  return existsSync(dyn) ? dyn : resolveModelPath(MODEL_FILES.blazeface, modelsDir);
}

/** Does the model run on a 96x64 input and give the 6x4x2 and 3x2x6 anchors of that size? (A fixed-size model
 * rejects the input.) */
async function probeDynamic(session: ModelSession, inputName: string, heads: HeadBinding[]): Promise<boolean> {
  const [w, h] = [96, 64];
  try {
    const out = await session.run({ [inputName]: new ort.Tensor("float32", new Float32Array(w * h * 3), [1, h, w, 3]) });
    const want = blazefaceHeads(w, h).map((x) => x.cells * (x.rows ?? x.cells) * x.anchorsPerCell);
    return heads.every(
      (b, i) => out[b.scoresName]?.data.length === want[i] && out[b.boxesName]?.data.length === (want[i] ?? 0) * 16,
    );
  } catch {
    return false;
  }
}

/** Keep a tile detection only if its centre is in the tile's core and it does not cross an inner tile edge. */
function ownedByTile(d: Detection, tile: Tile, frameW: number, frameH: number): boolean {
  const cx = d.box.x + d.box.width / 2;
  const cy = d.box.y + d.box.height / 2;
  const { core, frame } = tile;
  if (cx < core.x0 || cx >= core.x1 || cy < core.y0 || cy >= core.y1) return false;
  const slack = 0.1 * Math.max(d.box.width, d.box.height);
  const eps = 0.5;
  if (frame.x0 > eps && d.box.x < frame.x0 - slack) return false;
  if (frame.y0 > eps && d.box.y < frame.y0 - slack) return false;
  if (frame.x1 < frameW - eps && d.box.x + d.box.width > frame.x1 + slack) return false;
  if (frame.y1 < frameH - eps && d.box.y + d.box.height > frame.y1 + slack) return false;
  return true;
}

/** Finds the score and regressor outputs of each head by shape: [1, N, 1] and [1, N, 16], N = 512 or 384
 * (or a merged 896 = 512 + 384, as MediaPipe's tflite emits). */
function bindHeads(out: ort.InferenceSession.OnnxValueMapType, modelPath: string): HeadBinding[] {
  const byLen = new Map<number, { scores?: string; boxes?: string }>();
  for (const [name, v] of Object.entries(out)) {
    const dims = (v as ort.Tensor).dims;
    const last = dims[dims.length - 1];
    const n = dims.length >= 2 ? (dims[dims.length - 2] as number) : 0;
    const e = byLen.get(n) ?? {};
    if (last === 1) e.scores = name;
    else if (last === 16) e.boxes = name;
    byLen.set(n, e);
  }
  const heads: HeadBinding[] = [];
  const [h16, h32] = BLAZEFACE_BACK_HEADS;
  if (!h16 || !h32) throw new Error("BlazeFace head layout missing");
  const a16 = headAnchors(h16);
  const a32 = headAnchors(h32);
  const e512 = byLen.get(512);
  const e384 = byLen.get(384);
  const e896 = byLen.get(896);
  if (e512?.scores && e512.boxes && e384?.scores && e384.boxes) {
    heads.push({ scoresName: e512.scores, boxesName: e512.boxes, anchors: a16 });
    heads.push({ scoresName: e384.scores, boxesName: e384.boxes, anchors: a32 });
  } else if (e896?.scores && e896.boxes) {
    const all = new Float32Array(a16.length + a32.length);
    all.set(a16, 0);
    all.set(a32, a16.length);
    heads.push({ scoresName: e896.scores, boxesName: e896.boxes, anchors: all });
  } else {
    const shapes = Object.entries(out)
      .map(([k, v]) => `${k}:[${(v as ort.Tensor).dims.join(",")}]`)
      .join(" ");
    throw new Error(`${modelPath} does not look like BlazeFace back-256 (outputs ${shapes})`);
  }
  return heads;
}

/** One detection's model runs: the candidates they found and where the time went. */
class Passes {
  readonly candidates: Detection[] = [];
  runs = 0;
  resampleMs = 0;
  inferenceMs = 0;
  decodeMs = 0;

  constructor(
    private readonly session: ModelSession,
    private readonly inputName: string,
    private readonly heads: readonly HeadBinding[],
    private readonly scoreThreshold: number,
    private readonly anchorsFor: (width: number, height: number) => Float32Array[],
  ) {}

  /** Runs the model on one input tensor and decodes its heads (boxes in the tensor's pixels). */
  async run(t: ort.Tensor): Promise<Detection[]> {
    const ti = performance.now();
    const out = await this.session.run({ [this.inputName]: t });
    const td = performance.now();
    this.inferenceMs += td - ti;
    this.runs++;
    const dets: Detection[] = [];
    const [, h, w] = t.dims as number[];
    const size = BLAZEFACE_INPUT_SIZE;
    const anchors = h === size && w === size ? this.heads.map((x) => x.anchors) : this.anchorsFor(w ?? 0, h ?? 0);
    this.heads.forEach((head, i) => {
      const s = out[head.scoresName]?.data as Float32Array;
      const b = out[head.boxesName]?.data as Float32Array;
      decodeHead(s, b, anchors[i] as Float32Array, this.scoreThreshold, dets);
    });
    this.decodeMs += performance.now() - td;
    return dets;
  }
}
