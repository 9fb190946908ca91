/**
 * Embeds a list of image files with a pool of worker processes (each with its own 1-thread detector and embedder
 * sessions; processes, not threads: the OpenCV binding the pixel path runs on can be loaded by one thread of a process) and an optional on-disk cache, keyed by each file's sha256 and everything that determines the result
 * (model file hash, template, detector options, face pick, no-face policy).
 */
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { type ChildProcess, fork } from "node:child_process";
import { EventEmitter } from "node:events";
import {
  type AlignmentTemplate,
  type DetectOptions,
  type DetectorChoice,
  detectDefaultsFor,
  type Detection,
  DEFAULT_EMBEDDER_MODEL,
  EMBEDDER_DEFAULTS,
  type EmbedMode,
  type EmbedderModelName,
  type EmbedderSpec,
  embedderSpec,
  fuseEmbeddings,
  KEYPOINT_NAMES,
  LANDMARK68_CROP_SCALE,
  MODEL_FILES,
  parseDetectorChoice,
  resolveDetectorKind,
  resolveModelPath,
  resolveYuNet,
} from "@persona/vision";
import { RecordCache, sha256File, sha256Hex, writeKey } from "./cache.ts";
import { EvaluationError, errorMessage } from "./errors.ts";
import {
  type DetectionInfo,
  ExtractEngine,
  type ExtractItem,
  type ExtractResult,
  type ExtractSettings,
  type ExtractStatus,
  type FacePick,
  type NoFacePolicy,
  type StageTimes,
} from "./extract-engine.ts";
import type { WorkerInit, WorkerJob, WorkerReply } from "./extract-worker.ts";

export interface Progress {
  readonly phase: "hash" | "embed";
  readonly done: number;
  readonly total: number;
}

export interface ExtractOptions {
  /** Built-in model name or spec. Default `DEFAULT_EMBEDDER_MODEL`. */
  model?: EmbedderModelName | EmbedderSpec;
  /** Alignment template override (experiments). Default: the model's. */
  template?: AlignmentTemplate;
  /** Multi-crop ensemble: more templates whose embeddings are averaged in (experiments). Default none. */
  extraTemplates?: readonly AlignmentTemplate[];
  /** Use the model's own multi-crop ensemble (`spec.ensemble`) instead of one crop. Default `EMBEDDER_DEFAULTS.ensemble`
   * (true) unless `template`/`extraTemplates` are given. */
  ensemble?: boolean;
  /** Flip TTA: the image's vector is the fusion of the chip's and the mirrored chip's embeddings. Default
   * `EMBEDDER_DEFAULTS.flip` (true). */
  flip?: boolean;
  /** Enhance chips before embedding (`enhanceChip`). Default false. */
  enhance?: boolean;
  /** Detector options (merged over the detector's defaults, `detectDefaultsFor`). Default `{}`. */
  detect?: DetectOptions;
  /** Which detector: "auto" (default, env `PERSONA_DETECTOR`) is YuNet when its file is present, else BlazeFace. */
  detector?: DetectorChoice;
  /** Which face of a multi-face image. Default "centre". */
  pick?: FacePick;
  /** What to do when no face is found. Default "centre" (LFW canonical position). */
  noFace?: NoFacePolicy;
  /**
   * Align from the 68-point landmark net (dlib's 51-point fit onto its mean face) instead of BlazeFace's four
   * keypoints: `true`, or the landmark crop's scale. Only dlib templates have the 68-point targets. Default off.
   */
  landmarks?: boolean | { cropScale: number };
  modelsDir?: string;
  /** Worker processes (each: 1 onnxruntime thread). Default min(2, cores); 0 runs in this process. */
  workers?: number;
  /** onnxruntime threads per session. Default 1. */
  intraOpNumThreads?: number;
  /** Images per job sent to a worker (and the embedder's batch). Default 8. */
  batch?: number;
  /** Cache directory (e.g. `DEFAULT_CACHE_DIR`), or null/undefined for no cache. */
  cacheDir?: string | null;
  /** Called as images are hashed and embedded (at most once per job). */
  onProgress?: (p: Progress) => void;
}

export interface ImageEmbedding {
  readonly path: string;
  readonly sha256: string;
  readonly status: ExtractStatus;
  /** Faces the detector found. */
  readonly faces: number;
  /** The picked face (null when none was found). */
  readonly face: Detection | null;
  /** The vector to compare (unit length; flip-fused when `flip`), or null for no_face / failed. */
  readonly vector: Float32Array | null;
  readonly error?: string;
}

export interface ExtractStats {
  readonly images: number;
  readonly fromCache: number;
  readonly computed: number;
  readonly detected: number;
  readonly fallback: number;
  readonly noFace: number;
  readonly failed: number;
  readonly workers: number;
  /** Wall-clock seconds of the whole call (hashing, cache, pool). */
  readonly seconds: number;
  /** Computed images per wall-clock second (cache hits excluded). */
  readonly imagesPerSecond: number;
  /** Per-stage thread time summed over workers (ms). */
  readonly stageMs: StageTimes;
  readonly cacheFile: string | null;
}

export interface ExtractRun {
  readonly settings: ExtractSettings;
  readonly embeddings: ReadonlyMap<string, ImageEmbedding>;
  readonly stats: ExtractStats;
}

/** The embedding mode of settings, or null for custom templates (not the model's template or ensemble). */
export function settingsMode(s: ExtractSettings): EmbedMode | null {
  const names = [s.template, ...s.extraTemplates].map((t) => t.name).join("+");
  const ensemble = s.model.ensemble.length > 1 && names === s.model.ensemble.map((t) => t.name).join("+");
  if (!ensemble && names !== s.model.template.name) return null;
  return ensemble ? (s.flip ? "ensemble+flip" : "ensemble") : s.flip ? "flip" : "single";
}

/** Resolves extraction options into the plain settings the engine runs with. */
export function resolveSettings(opts: ExtractOptions): ExtractSettings {
  const model = typeof opts.model === "object" ? opts.model : embedderSpec(opts.model ?? DEFAULT_EMBEDDER_MODEL);
  const batch = opts.batch ?? 8;
  if (!Number.isInteger(batch) || batch < 1)
    throw new EvaluationError("options", `batch must be a positive integer, got ${batch}`);
  const custom = opts.template !== undefined || (opts.extraTemplates?.length ?? 0) > 0;
  if (opts.ensemble && custom) {
    throw new EvaluationError("options", "ensemble uses the model's templates: do not pass template/extraTemplates with it");
  }
  const ensemble = opts.ensemble ?? (custom ? false : EMBEDDER_DEFAULTS.ensemble);
  const detector = resolveDetectorKind(opts.detector ?? parseDetectorChoice(process.env.PERSONA_DETECTOR));
  const [first, ...rest] = ensemble ? model.ensemble : [opts.template ?? model.template, ...(opts.extraTemplates ?? [])];
  return {
    model,
    template: first ?? model.template,
    extraTemplates: rest,
    flip: opts.flip ?? EMBEDDER_DEFAULTS.flip,
    enhance: opts.enhance ?? false,
    detector,
    detect: { ...detectDefaultsFor(detector), ...opts.detect },
    pick: opts.pick ?? "centre",
    noFace: opts.noFace ?? "centre",
    landmarks: opts.landmarks
      ? { cropScale: typeof opts.landmarks === "object" ? opts.landmarks.cropScale : LANDMARK68_CROP_SCALE }
      : null,
    modelsDir: opts.modelsDir,
    // each image gives (1 + extra templates) chips, twice with flip
    maxBatch: (opts.flip ? 2 : 1) * (1 + rest.length) * batch,
  };
}

// Embedding record: key(32) status(1) flags(1) faces(2) chosen(1) pad(3) score box(4) keypoints(16) plain(d) flipped(d)
const STATUS_CODES: readonly ExtractStatus[] = ["detected", "fallback", "no_face", "failed"];
const HEADER = 40;
/** score, box (4), then x and y of every name in KEYPOINT_NAMES (NaN where the detector gives no such point). */
const FACE_FLOATS = 5 + 2 * KEYPOINT_NAMES.length;

function recordSize(dims: number): number {
  return HEADER + (FACE_FLOATS + 2 * dims) * 4;
}

function encodeRecord(sha: string, r: ExtractResult, dims: number): Uint8Array {
  const rec = new Uint8Array(recordSize(dims));
  writeKey(rec, sha);
  const dv = new DataView(rec.buffer);
  dv.setUint8(32, STATUS_CODES.indexOf(r.status));
  dv.setUint8(33, (r.embedding ? 1 : 0) | (r.flipped ? 2 : 0));
  dv.setUint16(34, r.detection?.faces ?? 0, true);
  const chosen = r.detection?.chosen ?? null;
  dv.setUint8(36, chosen ? 1 : 0);
  const f = new Float32Array(rec.buffer, HEADER, FACE_FLOATS + 2 * dims);
  if (chosen) f.set(faceToFloats(chosen), 0);
  if (r.embedding) f.set(r.embedding, FACE_FLOATS);
  if (r.flipped) f.set(r.flipped, FACE_FLOATS + dims);
  return rec;
}

interface DecodedRecord {
  status: ExtractStatus;
  faces: number;
  face: Detection | null;
  embedding: Float32Array | null;
  flipped: Float32Array | null;
}

function decodeRecord(rec: Uint8Array, dims: number): DecodedRecord {
  const buf = rec.slice().buffer;
  const dv = new DataView(buf);
  const flags = dv.getUint8(33);
  const f = new Float32Array(buf, HEADER, FACE_FLOATS + 2 * dims);
  return {
    status: STATUS_CODES[dv.getUint8(32)] ?? "failed",
    faces: dv.getUint16(34, true),
    face: dv.getUint8(36) ? floatsToFace(f.subarray(0, FACE_FLOATS)) : null,
    embedding: flags & 1 ? f.slice(FACE_FLOATS, FACE_FLOATS + dims) : null,
    flipped: flags & 2 ? f.slice(FACE_FLOATS + dims, FACE_FLOATS + 2 * dims) : null,
  };
}

// Detection record: key(32) width(2) height(2) faces(2) chosen(2) face(17 floats)
const DET_RECORD = 40 + FACE_FLOATS * 4;

function faceToFloats(d: Detection): number[] {
  const out = [d.score, d.box.x, d.box.y, d.box.width, d.box.height];
  for (const k of KEYPOINT_NAMES) out.push(d.keypoints[k]?.x ?? Number.NaN, d.keypoints[k]?.y ?? Number.NaN);
  return out;
}

function floatsToFace(f: Float32Array): Detection {
  const kp: Record<string, { x: number; y: number }> = {};
  KEYPOINT_NAMES.forEach((k, i) => {
    const x = f[5 + 2 * i] as number;
    const y = f[6 + 2 * i] as number;
    if (!Number.isNaN(x) && !Number.isNaN(y)) kp[k] = { x, y };
  });
  return {
    score: f[0] as number,
    box: { x: f[1] as number, y: f[2] as number, width: f[3] as number, height: f[4] as number },
    keypoints: kp as unknown as Detection["keypoints"],
  };
}

function encodeDetection(sha: string, d: DetectionInfo): Uint8Array {
  const rec = new Uint8Array(DET_RECORD);
  writeKey(rec, sha);
  const dv = new DataView(rec.buffer);
  dv.setUint16(32, d.width, true);
  dv.setUint16(34, d.height, true);
  dv.setUint16(36, d.faces, true);
  dv.setUint16(38, d.chosen ? 1 : 0, true);
  if (d.chosen) new Float32Array(rec.buffer, 40, FACE_FLOATS).set(faceToFloats(d.chosen));
  return rec;
}

function decodeDetection(rec: Uint8Array): DetectionInfo {
  const buf = rec.slice().buffer;
  const dv = new DataView(buf);
  return {
    width: dv.getUint16(32, true),
    height: dv.getUint16(34, true),
    faces: dv.getUint16(36, true),
    chosen: dv.getUint16(38, true) ? floatsToFace(new Float32Array(buf, 40, FACE_FLOATS)) : null,
  };
}

interface Caches {
  embeddings: RecordCache;
  detections: RecordCache;
}

async function openCaches(dir: string, s: ExtractSettings): Promise<Caches> {
  const detectorPath =
    s.detector === "yunet"
      ? (resolveYuNet().path ?? "YuNet missing")
      : resolveModelPath(MODEL_FILES.blazefaceDynamic, s.modelsDir);
  const modelPath = resolveModelPath(s.model.file, s.modelsDir);
  let detectorSha: string;
  let modelSha: string;
  try {
    [detectorSha, modelSha] = await Promise.all([sha256File(detectorPath), sha256File(modelPath)]);
  } catch (cause) {
    throw new EvaluationError("cache", `cannot hash model files for the cache key: ${errorMessage(cause)}`, { cause });
  }
  const landmarkSha = s.landmarks ? await sha256File(resolveModelPath(MODEL_FILES.landmark68, s.modelsDir)) : undefined;
  // format 2: records hold all eight keypoint names (NaN where absent); pixels: the OpenCV image path (issue #18)
  const detKey = {
    kind: "detection",
    format: 2,
    pixels: "opencv",
    detector: s.detector,
    detectorSha,
    detect: s.detect,
    pick: s.pick,
  };
  // the 68-point targets only matter (and only enter the key) when aligning from landmarks
  const keyTemplate = (t: AlignmentTemplate) => (s.landmarks ? t : { ...t, landmarks68: undefined });
  const embKey = {
    kind: "embedding",
    version: 1,
    model: s.model.name,
    modelSha,
    inputName: s.model.inputName,
    outputName: s.model.outputName,
    dims: s.model.dims,
    template: keyTemplate(s.template),
    extraTemplates: s.extraTemplates.length ? s.extraTemplates.map(keyTemplate) : undefined,
    noFace: s.noFace,
    enhance: s.enhance ? "auto" : undefined,
    landmarks: s.landmarks ? { ...s.landmarks, landmarkSha } : undefined,
    detection: detKey,
  };
  return {
    detections: RecordCache.open(`${dir}/detections`, s.detector, detKey, DET_RECORD),
    embeddings: RecordCache.open(
      `${dir}/embeddings`,
      `${s.model.name}-${[s.template, ...s.extraTemplates].map((t) => t.name).join("+")}${s.landmarks ? "+lm68" : ""}`.replace(
        /[^\w.@+-]/g,
        "_",
      ),
      embKey,
      recordSize(s.model.dims),
    ),
  };
}

/** Runs jobs on worker processes (or in this process when `workers` is 0). */
class Pool {
  #workers: WorkerProcess[] = [];
  #engine: ExtractEngine | null = null;
  readonly times: StageTimes[] = [];

  static async start(settings: ExtractSettings, workers: number, intraOpNumThreads: number): Promise<Pool> {
    const pool = new Pool();
    if (workers === 0) {
      pool.#engine = await ExtractEngine.create(settings, intraOpNumThreads);
      pool.times.push(pool.#engine.times);
      return pool;
    }
    const init: WorkerInit = { settings, intraOpNumThreads };
    try {
      await Promise.all(
        Array.from({ length: workers }, async (_, i) => {
          const w = spawnWorker(init);
          pool.#workers.push(w);
          pool.times[i] = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
          await new Promise<void>((resolve, reject) => {
            const onMsg = (m: WorkerReply) => {
              w.off("message", onMsg);
              w.off("error", reject);
              if (m.type === "ready") resolve();
              else
                reject(
                  new EvaluationError("worker", `extraction worker failed to start: ${m.type === "error" ? m.message : m.type}`),
                );
            };
            w.on("message", onMsg);
            w.once("error", (e) =>
              reject(new EvaluationError("worker", `extraction worker failed to start: ${errorMessage(e)}`, { cause: e })),
            );
          });
        }),
      );
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.#engine ? 1 : this.#workers.length;
  }

  /** Runs jobs (each a batch of items), at most `inFlight` per worker, calling `onDone` as each finishes. */
  async run(
    jobs: readonly ExtractItem[][],
    onDone: (job: number, results: readonly ExtractResult[]) => void,
    inFlight = 2,
  ): Promise<void> {
    if (this.#engine) {
      for (let j = 0; j < jobs.length; j++) onDone(j, await this.#engine.process(jobs[j] as ExtractItem[]));
      return;
    }
    let next = 0;
    await Promise.all(
      this.#workers.map(
        (w, wi) =>
          new Promise<void>((resolve, reject) => {
            let pending = 0;
            const send = () => {
              while (pending < inFlight && next < jobs.length) {
                const id = next++;
                const items = jobs[id] as ExtractItem[];
                const msg: WorkerJob = { id, items };
                pending++;
                w.postMessage(msg);
              }
              if (pending === 0) {
                w.off("message", onMsg);
                w.off("error", onErr);
                resolve();
              }
            };
            const onMsg = (m: WorkerReply) => {
              if (m.type === "done") {
                pending--;
                this.times[wi] = m.times;
                try {
                  onDone(m.id, m.results);
                } catch (e) {
                  reject(e);
                  return;
                }
                send();
              } else if (m.type === "error") {
                reject(
                  new EvaluationError(
                    "worker",
                    `extraction worker failed${m.id !== null ? ` on job ${m.id}` : ""}: ${m.message}`,
                  ),
                );
              }
            };
            const onErr = (e: Error) =>
              reject(new EvaluationError("worker", `extraction worker crashed: ${e.message}`, { cause: e }));
            w.on("message", onMsg);
            w.on("error", onErr);
            send();
          }),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.#engine) await this.#engine.dispose();
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers = [];
  }
}

/** An extraction worker process with the small part of the Worker API the pool uses. */
class WorkerProcess extends EventEmitter {
  readonly #child: ChildProcess;
  #stopping = false;

  constructor(init: WorkerInit) {
    super();
    let tsx: string;
    try {
      tsx = import.meta.resolve("tsx");
    } catch (cause) {
      throw new EvaluationError(
        "worker",
        "worker processes load the TypeScript sources through tsx, which is not installed: use workers: 0",
        {
          cause,
        },
      );
    }
    this.#child = fork(new URL("./extract-worker.ts", import.meta.url), [], {
      execArgv: ["--import", tsx],
      serialization: "advanced", // typed arrays (the embeddings) cross as such
      env: { ...process.env, PERSONA_EXTRACT_WORKER: JSON.stringify(init) },
    });
    this.#child.on("message", (m) => this.emit("message", m));
    this.#child.on("error", (e) => this.emit("error", e));
    this.#child.on("exit", (code, signal) => {
      if (!this.#stopping) this.emit("error", new Error(`extraction worker exited (${signal ?? `code ${code}`})`));
    });
  }

  postMessage(msg: WorkerJob): void {
    this.#child.send(msg);
  }

  async terminate(): Promise<void> {
    this.#stopping = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.#child.once("exit", () => r()));
    this.#child.kill("SIGTERM");
    await exited;
  }
}

function spawnWorker(init: WorkerInit): WorkerProcess {
  return new WorkerProcess(init);
}

function addTimes(list: readonly StageTimes[]): StageTimes {
  const t: StageTimes = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  for (const x of list) {
    t.decodeMs += x.decodeMs;
    t.detectMs += x.detectMs;
    t.alignMs += x.alignMs;
    t.embedMs += x.embedMs;
  }
  return t;
}

/** Embeds every image in `paths` (duplicates once). */
export async function extractEmbeddings(paths: readonly string[], opts: ExtractOptions = {}): Promise<ExtractRun> {
  const t0 = performance.now();
  const settings = resolveSettings(opts);
  const workers = opts.workers ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(workers) || workers < 0)
    throw new EvaluationError("options", `workers must be a non-negative integer, got ${workers}`);
  const dims = settings.model.dims;
  const caches = opts.cacheDir ? await openCaches(opts.cacheDir, settings) : null;
  const unique = [...new Set(paths)];
  const total = unique.length;
  const progress = opts.onProgress ?? (() => {});
  const run: RunState = { settings, caches, shas: new Map(), bytesOf: new Map(), out: new Map() };

  // 1. read + hash (cache lookups need the hash)
  await readAndHash(run, unique, progress);
  let fromCache = 0;
  for (const p of unique) {
    if (run.bytesOf.has(p)) continue;
    const sha = run.shas.get(p) as string;
    finish(run, p, sha, decodeRecord(caches?.embeddings.get(sha) as Uint8Array, dims));
    fromCache++;
  }

  // 2. embed the rest
  const todo = unique.filter((p) => run.bytesOf.has(p));
  let done = fromCache;
  progress({ phase: "embed", done, total });
  let poolSize = 0;
  let stageMs: StageTimes = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  if (todo.length) {
    ({ poolSize, stageMs } = await embedRest(run, todo, workers, opts.intraOpNumThreads ?? 1, (n) => {
      done += n;
      progress({ phase: "embed", done, total });
    }));
  }
  const seconds = (performance.now() - t0) / 1000;
  const count = (s: ExtractStatus) => [...run.out.values()].filter((e) => e.status === s).length;
  return {
    settings,
    embeddings: run.out,
    stats: {
      images: total,
      fromCache,
      computed: todo.length,
      detected: count("detected"),
      fallback: count("fallback"),
      noFace: count("no_face"),
      failed: count("failed"),
      workers: poolSize,
      seconds,
      imagesPerSecond: todo.length ? todo.length / seconds : 0,
      stageMs,
      cacheFile: caches?.embeddings.path ?? null,
    },
  };
}

/** What the steps of one `extractEmbeddings` call share. */
interface RunState {
  settings: ExtractSettings;
  caches: Caches | null;
  /** sha256 of each image. */
  shas: Map<string, string>;
  /** The bytes of each image the cache cannot serve, until it is embedded. */
  bytesOf: Map<string, Uint8Array>;
  out: Map<string, ImageEmbedding>;
}

/** Reads and hashes every image, keeping the bytes of those the cache has no usable record of. */
async function readAndHash(run: RunState, unique: readonly string[], progress: (p: Progress) => void): Promise<void> {
  const { settings, caches, shas, bytesOf } = run;
  const dims = settings.model.dims;
  const total = unique.length;
  // a record made without flip cannot serve a flip run (no mirrored embedding)
  const usable = (r: DecodedRecord) => !settings.flip || r.flipped !== null || r.embedding === null;
  let hashed = 0;
  const READ_CONCURRENCY = 16;
  for (let i = 0; i < unique.length; i += READ_CONCURRENCY) {
    await Promise.all(
      unique.slice(i, i + READ_CONCURRENCY).map(async (p) => {
        let bytes: Uint8Array;
        try {
          bytes = await readFile(p);
        } catch (cause) {
          throw new EvaluationError("dataset", `cannot read image ${p}: ${errorMessage(cause)}`, { cause });
        }
        const sha = sha256Hex(bytes);
        shas.set(p, sha);
        const hit = caches?.embeddings.get(sha);
        if (!hit || !usable(decodeRecord(hit, dims))) bytesOf.set(p, bytes);
      }),
    );
    hashed = Math.min(unique.length, i + READ_CONCURRENCY);
    if (hashed % 512 < READ_CONCURRENCY || hashed === total) progress({ phase: "hash", done: hashed, total });
  }
}

/** Records an image's embedding (flip-fused when the run flips). */
function finish(run: RunState, path: string, sha: string, r: DecodedRecord, error?: string): void {
  const flip = run.settings.flip;
  const vector = r.embedding ? (flip && r.flipped ? fuseEmbeddings(r.embedding, r.flipped) : r.embedding) : null;
  run.out.set(path, { path, sha256: sha, status: r.status, faces: r.faces, face: r.face, vector, ...(error ? { error } : {}) });
}

/** Embeds `todo` in batches on a pool of `workers`, calling `onEmbedded` with the count of each finished batch. */
async function embedRest(
  run: RunState,
  todo: readonly string[],
  workers: number,
  intraOpNumThreads: number,
  onEmbedded: (images: number) => void,
): Promise<{ poolSize: number; stageMs: StageTimes }> {
  const { settings, caches, shas, bytesOf } = run;
  const batch = settings.maxBatch / ((settings.flip ? 2 : 1) * (1 + settings.extraTemplates.length));
  const jobs: ExtractItem[][] = [];
  const jobPaths: string[][] = [];
  for (let i = 0; i < todo.length; i += batch) {
    const ps = todo.slice(i, i + batch);
    jobPaths.push(ps);
    jobs.push(
      ps.map((p) => {
        const det = caches?.detections.get(shas.get(p) as string);
        return { bytes: bytesOf.get(p) as Uint8Array, ...(det ? { detection: decodeDetection(det) } : {}) };
      }),
    );
  }
  const pool = await Pool.start(settings, Math.min(workers, jobs.length), intraOpNumThreads);
  const poolSize = pool.size;
  try {
    await pool.run(jobs, (j, results) => {
      storeResults(run, jobPaths[j] as string[], results);
      onEmbedded(results.length);
    });
    return { poolSize, stageMs: addTimes(pool.times) };
  } finally {
    await pool.close();
  }
}

/** Records a batch's results and appends the new embeddings and detections to the caches. */
function storeResults(run: RunState, ps: readonly string[], results: readonly ExtractResult[]): void {
  const { caches, shas, bytesOf } = run;
  const dims = run.settings.model.dims;
  const embRecs: Uint8Array[] = [];
  const detRecs: Uint8Array[] = [];
  results.forEach((r, k) => {
    const p = ps[k] as string;
    const sha = shas.get(p) as string;
    bytesOf.delete(p);
    finish(
      run,
      p,
      sha,
      {
        status: r.status,
        faces: r.detection?.faces ?? 0,
        face: r.detection?.chosen ?? null,
        embedding: r.embedding,
        flipped: r.flipped,
      },
      r.error,
    );
    if (caches && r.status !== "failed") {
      embRecs.push(encodeRecord(sha, r, dims));
      if (r.detection && !caches.detections.get(sha)) detRecs.push(encodeDetection(sha, r.detection));
    }
  });
  caches?.embeddings.append(embRecs);
  caches?.detections.append(detRecs);
}
