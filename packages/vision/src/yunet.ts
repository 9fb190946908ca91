/**
 * YuNet face detector (libfacedetection.train "2023mar", Apache-2.0) on onnxruntime-node: five keypoints (both eyes,
 * nose tip, both mouth corners), faces from ~10 px, about twice as fast per pixel as BlazeFace.
 *
 * The file is not in any registry, so it is never built into models/dist: it is read from the shared models folder
 * (`PERSONA_SHARED_MODELS_DIR`, default `<repo>/../shared/models`, file `yunet/yunet_s_dynamic.onnx`) and checked
 * against its published sha256 (see `resolveYuNet`). The size-agnostic export takes any input whose sides are
 * multiples of 32, so a frame runs in one pass ("level" mode, no tiles, no seams):
 *
 * 1. the main pass: the frame scaled by modelMinFacePx / minFaceSize, or to a long side of 640 if that is larger,
 *    never up (capped at `maxTiles` x 256 x 256 input pixels), padded to multiples of 32 at the bottom and right;
 * 2. large faces: a face that fills the photo (a passport-style portrait) or is cut by the frame edge is missed by a
 *    detector that never saw it whole, so the frame, padded by `LARGE_PAD` of its long side on every side, runs once
 *    more at `LARGE_SIDE` px; its faces are kept where the main pass found none. A small main pass (long side at
 *    most `LARGE_SIDE`) is padded itself instead.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import type { DetectionReport, DetectOptions, ResolvedDetectOptions } from "./detect-options.ts";
import { DETECT_DEFAULTS, finalDetections, mergeCandidates, resolveDetectOptions } from "./detect-options.ts";
import type { FaceDetector } from "./detector.ts";
import { createSession, type ModelSession, type SessionOptions } from "./models.ts";
import { iou } from "./nms.ts";
import { fillBgrPlanar, type ImageSource, resizeMat, TensorBuffers } from "./resample.ts";
import type { LevelPlan } from "./tiling.ts";
import type { Detection, RgbImage } from "./types.ts";
import { transformDetection } from "./blazeface-decode.ts";
import { decodeYuNetHead, YUNET_SIZE_MULTIPLE, YUNET_STRIDES, type YuNetHead } from "./yunet-decode.ts";

/** The size-agnostic YuNet export and its sha256 (shared/models/README.md). */
export const YUNET_FILE = "yunet/yunet_s_dynamic.onnx";
export const YUNET_SHA256 = "daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3";

/** Defaults of a YuNet detector: OpenCV Zoo's demo threshold is 0.9; 0.6 keeps small and half-profile faces
 * (shared/models/README.md) and the quality gate judges them afterwards. */
export const YUNET_DETECT_DEFAULTS: Required<Omit<DetectOptions, "tileSize">> = { ...DETECT_DEFAULTS, scoreThreshold: 0.6 };

/** The large-face pass: the padded frame's long side in input pixels, and the padding (fraction of the long side). */
const LARGE_SIDE = 320;
const LARGE_PAD = 0.2;
/** The main pass's long side is at least this (or the frame's own, when smaller). */
const MIN_LONG_SIDE = 640;

/** The shared models folder: env `PERSONA_SHARED_MODELS_DIR`, else `<repo>/../shared/models`. */
export function sharedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PERSONA_SHARED_MODELS_DIR ?? fileURLToPath(new URL("../../../../shared/models/", import.meta.url)));
}

const hashCache = new Map<string, string>();

/**
 * Where YuNet is and whether it may be used: `{ path }` when the file exists with the expected sha256, else
 * `{ path: null, reason }` saying what is wrong (missing, or another file).
 */
export function resolveYuNet(dir: string = sharedModelsDir()): { path: string; reason: null } | { path: null; reason: string } {
  const path = join(dir, YUNET_FILE);
  if (!existsSync(path)) return { path: null, reason: `YuNet not found at ${path} (set PERSONA_SHARED_MODELS_DIR)` };
  let sha = hashCache.get(path);
  if (sha === undefined) {
    sha = createHash("sha256").update(readFileSync(path)).digest("hex");
    hashCache.set(path, sha);
  }
  if (sha !== YUNET_SHA256) return { path: null, reason: `${path} has sha256 ${sha}, expected ${YUNET_SHA256}` };
  return { path, reason: null };
}

/** Does this session look like YuNet (outputs cls_8 ... kps_32)? */
export function isYuNetSession(session: ModelSession): boolean {
  const names = new Set(session.outputNames);
  return YUNET_STRIDES.every((s) => ["cls", "obj", "bbox", "kps"].every((k) => names.has(`${k}_${s}`)));
}

export class YuNetDetector implements FaceDetector {
  readonly kind = "yunet" as const;
  readonly modelPath: string;
  readonly dynamicInput = true;
  readonly defaults: ResolvedDetectOptions;
  readonly note: string | null;
  #session: ModelSession;
  readonly #buffers = new TensorBuffers();
  #inputName: string;

  private constructor(modelPath: string, session: ModelSession, defaults: DetectOptions, note: string | null) {
    this.modelPath = modelPath;
    this.#session = session;
    const inputName = session.inputNames[0];
    if (!inputName) throw new Error(`${modelPath} has no input`);
    this.#inputName = inputName;
    this.defaults = { ...YUNET_DETECT_DEFAULTS, ...defaults };
    this.note = note;
  }

  /** Loads `modelPath` (a YuNet export taking any multiple of 32: the dynamic one) and checks its outputs. */
  static async create(
    modelPath: string,
    options: SessionOptions & { detect?: DetectOptions; note?: string | null } = {},
  ): Promise<YuNetDetector> {
    const session = await createSession(modelPath, options);
    return YuNetDetector.fromSession(modelPath, session, options);
  }

  /** Wraps a loaded session (which must be YuNet's). */
  static async fromSession(
    modelPath: string,
    session: ModelSession,
    options: { detect?: DetectOptions; note?: string | null } = {},
  ): Promise<YuNetDetector> {
    if (!isYuNetSession(session)) {
      throw new Error(`${modelPath} does not look like YuNet (outputs ${session.outputNames.join(", ")})`);
    }
    const d = new YuNetDetector(modelPath, session, options.detect ?? {}, options.note ?? null);
    // A 64x96 run: the export must be size-agnostic (the fixed 640x640 one is refused here with a clear error).
    try {
      await d.#run(new Float32Array(3 * 64 * 96), 96, 64, 0.99, []);
    } catch (cause) {
      throw new Error(`${modelPath}: YuNet must be the size-agnostic export (yunet_s_dynamic.onnx)`, { cause });
    }
    return d;
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
    return (await this.detectDetailed(image, options)).detections;
  }

  async detectDetailed(image: RgbImage, options: DetectOptions = {}): Promise<DetectionReport> {
    const o = resolveDetectOptions(image, this.defaults, options);
    const t0 = performance.now();
    const timings = { resampleMs: 0, inferenceMs: 0, decodeMs: 0 };
    const { width: W, height: H } = image;
    // Main pass scale: the smallest wanted face at modelMinFacePx input pixels, but the long side at least
    // MIN_LONG_SIDE (keypoints of large faces stay precise, at little cost), never upscaled, capped in pixels.
    let scale = Math.min(1, Math.max(o.modelMinFacePx / o.minFaceSize, MIN_LONG_SIDE / Math.max(W, H)));
    const maxPixels = o.maxTiles * 256 * 256;
    if (W * scale * H * scale > maxPixels) scale = Math.sqrt(maxPixels / (W * H));
    const lw = Math.max(1, Math.round(W * scale));
    const lh = Math.max(1, Math.round(H * scale));
    const small = Math.max(lw, lh) <= LARGE_SIDE;
    const pad = small ? Math.round(LARGE_PAD * Math.max(lw, lh)) : 0;
    const iw = roundUp(lw + 2 * pad);
    const ih = roundUp(lh + 2 * pad);
    let runs = 0;
    let candidates = 0;

    const pass = async (
      img: ImageSource,
      w: number,
      h: number,
      ox: number,
      oy: number,
      inW: number,
      inH: number,
    ): Promise<Detection[]> => {
      const tr = performance.now();
      const input = this.#buffers.take(3 * inW * inH);
      fillBgrPlanar(img, ox, oy, inW, inH, input);
      timings.resampleMs += performance.now() - tr;
      const raw: Detection[] = [];
      await this.#run(input, inW, inH, o.scoreThreshold, raw, timings);
      this.#buffers.give(input);
      runs++;
      candidates += raw.length;
      const td = performance.now();
      const sx = W / w;
      const sy = H / h;
      const mapped = raw.map((d) => transformDetection(d, sx, sy, -ox * sx, -oy * sy));
      const merged = mergeCandidates(mapped, o);
      timings.decodeMs += performance.now() - td;
      return merged;
    };

    const tr = performance.now();
    const level = resizeMat(image, lw, lh);
    timings.resampleMs += performance.now() - tr;
    let dets = await pass(level, lw, lh, pad, pad, iw, ih);
    if (!small) {
      // Large faces: the whole frame padded on every side, its long side about LARGE_SIDE (pad included), shrunk from
      // the main pass's level by a whole factor (INTER_AREA's integer fast path; no second resampling of the frame).
      const t1 = performance.now();
      const target = LARGE_SIDE / (1 + 2 * LARGE_PAD);
      const f = Math.max(1, Math.floor(Math.max(lw, lh) / target));
      const ww = Math.max(1, Math.round(lw / f));
      const wh = Math.max(1, Math.round(lh / f));
      const shrunk = resizeMat(level, ww, wh);
      timings.resampleMs += performance.now() - t1;
      const p = Math.round(LARGE_PAD * Math.max(ww, wh));
      const large = await pass(shrunk, ww, wh, p, p, roundUp(ww + 2 * p), roundUp(wh + 2 * p));
      shrunk.release();
      const td = performance.now();
      for (const d of large) if (dets.every((m) => iou(m.box, d.box) <= o.iouThreshold)) dets.push(d);
      timings.decodeMs += performance.now() - td;
    }
    level.release(); // native pixels (a view of the frame's own memory is not freed, only let go)
    dets = finalDetections(dets, o);
    const plan: LevelPlan = { scale, levelWidth: lw, levelHeight: lh, inputWidth: iw, inputHeight: ih };
    return {
      detections: dets,
      mode: "level",
      plan: null,
      level: plan,
      runs,
      candidates,
      timings: { ...timings, totalMs: performance.now() - t0 },
    };
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }

  async #run(
    input: Float32Array,
    w: number,
    h: number,
    scoreThreshold: number,
    out: Detection[],
    timings?: { inferenceMs: number; decodeMs: number },
  ): Promise<void> {
    const ti = performance.now();
    const r = await this.#session.run({ [this.#inputName]: new ort.Tensor("float32", input, [1, 3, h, w]) });
    const td = performance.now();
    for (const stride of YUNET_STRIDES) {
      const get = (k: string) => {
        const v = r[`${k}_${stride}`];
        if (!v) throw new Error(`${this.modelPath}: no output ${k}_${stride}`);
        return v.data as Float32Array;
      };
      const head: YuNetHead = { stride, cls: get("cls"), obj: get("obj"), bbox: get("bbox"), kps: get("kps") };
      decodeYuNetHead(head, w, h, scoreThreshold, out);
    }
    if (timings) {
      timings.inferenceMs += td - ti;
      timings.decodeMs += performance.now() - td;
    }
  }
}

const roundUp = (v: number): number => Math.ceil(v / YUNET_SIZE_MULTIPLE) * YUNET_SIZE_MULTIPLE;
