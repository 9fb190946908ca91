/**
 * Face analysis on worker threads, one BlazeFace session per thread, so the event loop (publishing, the live view,
 * health checks) never waits for inference: onnxruntime-node runs a tiled 720p frame synchronously for ~35-45 ms.
 * Frames are passed as views of SharedArrayBuffers (zero copy) when the source allocates them so; chips come back
 * as transferred buffers. Jobs go to the first idle thread, in arrival order; a thread that dies fails its job and
 * is replaced.
 */
import { Worker } from "node:worker_threads";
import type { FaceDetectorOptions, RgbImage } from "@persona/vision";
import type { AnalysisOptions, FaceAnalyzer, FrameAnalysis } from "./analysis.ts";

export interface WorkerInit {
  detector: FaceDetectorOptions;
  analysis: AnalysisOptions;
}
export type WorkerRequest = { type: "analyze"; id: number; frame: RgbImage } | { type: "close" };
export type WorkerReply =
  | { type: "ready" }
  | { type: "init-error"; message: string }
  | { type: "result"; id: number; analysis: FrameAnalysis }
  | { type: "error"; id: number; message: string };

export class DetectorError extends Error {
  override readonly name = "DetectorError";
}

interface Job {
  id: number;
  frame: RgbImage;
  resolve: (a: FrameAnalysis) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

/** Jobs waiting for a thread, beyond which `analyze` refuses (each camera has at most one frame in flight). */
const MAX_QUEUED = 256;
/** Replacement threads started after crashes before the pool gives up. */
const MAX_RESPAWNS = 5;

const WORKER_URL = new URL("./detectorWorker.ts", import.meta.url);

/** Starts a worker; TypeScript sources are loaded through tsx's loader (the repository runs .ts directly). */
function startWorker(init: WorkerInit): Worker {
  if (!WORKER_URL.pathname.endsWith(".ts")) return new Worker(WORKER_URL, { workerData: init });
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { eval: true, workerData: init });
}

export class DetectorPool implements FaceAnalyzer {
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  #respawns = 0;

  private constructor(
    readonly threads: number,
    private readonly init: WorkerInit,
  ) {}

  /** Starts `threads` workers and waits until each has loaded its model (a load failure rejects). */
  static async create(threads: number, detector: FaceDetectorOptions, analysis: AnalysisOptions): Promise<DetectorPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be >= 1, got ${threads}`);
    const pool = new DetectorPool(threads, { detector, analysis });
    try {
      await Promise.all(Array.from({ length: threads }, () => pool.#spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  analyze(frame: RgbImage): Promise<FrameAnalysis> {
    if (this.#closed) return Promise.reject(new DetectorError("detector pool is closed"));
    if (this.#queue.length >= MAX_QUEUED) return Promise.reject(new DetectorError("detector pool is overloaded"));
    return new Promise<FrameAnalysis>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, frame, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new DetectorError("detector pool closed"));
    await Promise.all(
      this.#slots.map(async (s) => {
        s.worker.postMessage({ type: "close" } satisfies WorkerRequest);
        const exited = new Promise<void>((r) => s.worker.once("exit", () => r()));
        const timer = setTimeout(() => void s.worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.#slots = [];
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job !== null) continue;
      const job = this.#queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker.postMessage({ type: "analyze", id: job.id, frame: job.frame } satisfies WorkerRequest);
    }
  }

  #spawn(): Promise<void> {
    const worker = startWorker(this.init);
    const slot: Slot = { worker, job: null };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on("message", (msg: WorkerReply) => {
        switch (msg.type) {
          case "ready":
            ready = true;
            this.#slots.push(slot);
            resolve();
            this.#dispatch();
            return;
          case "init-error":
            reject(new DetectorError(`detector thread could not load its model: ${msg.message}`));
            return;
          case "result":
          case "error": {
            const job = slot.job;
            if (job === null || job.id !== msg.id) return;
            slot.job = null;
            if (msg.type === "result") job.resolve(msg.analysis);
            else job.reject(new DetectorError(`detection failed: ${msg.message}`));
            this.#dispatch();
            return;
          }
          default: {
            const never: never = msg;
            throw new Error(`unknown worker reply ${JSON.stringify(never)}`);
          }
        }
      });
      worker.on("error", (err) => {
        if (!ready) reject(new DetectorError(`detector thread failed to start: ${err.message}`, { cause: err }));
      });
      worker.once("exit", (code) => {
        this.#slots = this.#slots.filter((s) => s !== slot);
        if (!ready) {
          reject(new DetectorError(`detector thread exited during start (code ${code})`));
          return;
        }
        if (slot.job) slot.job.reject(new DetectorError(`detector thread exited (code ${code})`));
        slot.job = null;
        if (this.#closed) return;
        if (this.#respawns++ < MAX_RESPAWNS) {
          this.#spawn().catch(() => undefined);
        } else {
          for (const job of this.#queue.splice(0)) job.reject(new DetectorError("detector threads keep dying"));
        }
      });
    });
  }
}
