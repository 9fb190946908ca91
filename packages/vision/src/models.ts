/** Where the converted ONNX models live and how sessions are made. */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { ModelLoadError } from "./errors.ts";

/** File names in `models/dist/` (built by the models package). */
export const MODEL_FILES = {
  blazeface: "blazeface-back-256.onnx",
  /** The same network with a size-agnostic graph (any input with sides multiple of 32); see models/README.md. */
  blazefaceDynamic: "blazeface-back-dyn.onnx",
  dlibResnet: "dlib-resnet29.onnx",
  faceres: "faceres.onnx",
  faceresDeep: "faceres-deep.onnx",
  mobileface: "mobileface.onnx",
  /** face-api's FaceLandmark68Net (68 iBUG landmarks), see models/README.md. */
  landmark68: "face-landmark68.onnx",
} as const;

/** `<repo>/models/dist`, found relative to this source file (packages/vision/src). */
export const REPO_MODELS_DIR = fileURLToPath(new URL("../../../models/dist/", import.meta.url));

/** The models directory: `explicit` if given, else env `PERSONA_MODELS_DIR`, else `<repo>/models/dist`. */
export function resolveModelsDir(explicit?: string): string {
  const dir = explicit ?? process.env.PERSONA_MODELS_DIR ?? REPO_MODELS_DIR;
  return resolve(dir);
}

/** Absolute path of a model file: absolute `file` is returned as is, otherwise joined to `resolveModelsDir(modelsDir)`. */
export function resolveModelPath(file: string, modelsDir?: string): string {
  return isAbsolute(file) ? file : join(resolveModelsDir(modelsDir), file);
}

/**
 * What the models' users need of an inference session: a local onnxruntime session, or a proxy whose runs happen on
 * worker threads (`InferencePool`). The pixel work around it stays on the caller's thread, where OpenCV lives: the
 * OpenCV binding can be loaded by one thread of a process only.
 */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: ort.InferenceSession.FeedsType): Promise<ort.InferenceSession.ReturnType>;
  release(): Promise<void>;
}

/** Makes sessions somewhere else than on the calling thread (`InferencePool`). */
export interface SessionHost {
  createSession(
    modelPath: string,
    options: Pick<SessionOptions, "intraOpNumThreads" | "logSeverityLevel">,
  ): Promise<ModelSession>;
}

export interface SessionOptions {
  /** Where the sessions run: default this thread; an `InferencePool` runs them on its worker threads. */
  host?: SessionHost;
  /** Threads for one operator (onnxruntime `intraOpNumThreads`). Default 1: the models are small and a service
   * usually runs several sessions; 0 lets onnxruntime pick (one per physical core). */
  intraOpNumThreads?: number;
  /** onnxruntime log level: 0 verbose .. 4 fatal. Default 3 (errors only; the BlazeFace file triggers harmless
   * "Removing initializer" warnings at level 2). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Creates a CPU inference session with full graph optimisation. Missing or unloadable files are `ModelLoadError`. */
export async function createSession(modelPath: string, options: SessionOptions = {}): Promise<ModelSession> {
  const { host, ...local } = options;
  if (host) return host.createSession(modelPath, local);
  return createLocalSession(modelPath, local);
}

/** `createSession` on this thread: an onnxruntime session. */
export async function createLocalSession(modelPath: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  if (!existsSync(modelPath)) {
    throw new ModelLoadError(
      modelPath,
      `model file not found: ${modelPath} (build models/dist or set PERSONA_MODELS_DIR / pass a model path)`,
    );
  }
  try {
    return await ort.InferenceSession.create(modelPath, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      logSeverityLevel: options.logSeverityLevel ?? 3,
    });
  } catch (cause) {
    throw new ModelLoadError(
      modelPath,
      `cannot load model ${modelPath}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
