/**
 * Model inference on worker threads, for a process that must keep its event loop free (the camera: publishing, the
 * live view, health checks) while onnxruntime runs a 720p frame synchronously for tens of milliseconds.
 *
 * Only the sessions move: `createSession` gives a `ModelSession` proxy that detectors use like a local session, and
 * every `run` goes to an idle thread (one run per thread at a time, the rest queued in arrival order). The pixel work
 * around the runs (OpenCV resizing, tensor filling, alignment) stays on the owner's thread: the OpenCV binding can be
 * loaded by one thread of a process only (it keeps one set of V8 handles; a second thread crashes the process).
 * Inputs are copied to the thread by postMessage (~1 ms for a 1280x736 tensor); outputs come back transferred.
 * A thread that dies fails its run and is replaced, with every session re-created on it.
 */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { ModelLoadError } from "./errors.ts";
import type { ModelSession, SessionHost, SessionOptions } from "./models.ts";

export interface WireTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}
type LocalOptions = Pick<SessionOptions, "intraOpNumThreads" | "logSeverityLevel">;
export type PoolRequest =
  | { type: "create"; id: number; sid: number; path: string; options: LocalOptions }
  | { type: "run"; id: number; sid: number; feeds: WireTensor[] }
  | { type: "release"; sid: number }
  | { type: "close" };
export type PoolReply =
  | { type: "ready" }
  | { type: "created"; id: number; inputNames: string[]; outputNames: string[] }
  | { type: "result"; id: number; outputs: WireTensor[] }
  | { type: "error"; id: number; message: string };

export class InferenceError extends Error {
  override readonly name = "InferenceError";
}

interface Run {
  sid: number;
  feeds: WireTensor[];
  resolve: (out: ort.InferenceSession.ReturnType) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  /** Replies awaited, by request id. */
  waiting: Map<number, { resolve: (r: PoolReply) => void; reject: (e: Error) => void }>;
  /** The run on this thread, if any. */
  run: Run | null;
  /** True once its sessions exist (a respawned thread re-creates them first). */
  usable: boolean;
}

/** Runs waiting for a thread beyond which `run` refuses (each camera has at most one frame in flight). */
const MAX_QUEUED = 256;
/** Replacement threads started after crashes before the pool gives up. */
const MAX_RESPAWNS = 5;
const WORKER_URL = new URL("./inferenceWorker.ts", import.meta.url);

/** Starts a worker; TypeScript sources are loaded through tsx's loader (the repository runs .ts directly). */
function startWorker(): Worker {
  if (!WORKER_URL.pathname.endsWith(".ts")) return new Worker(WORKER_URL);
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { eval: true });
}

export class InferencePool implements SessionHost {
  #threads: Thread[] = [];
  #queue: Run[] = [];
  #sessions = new Map<number, { path: string; options: LocalOptions }>();
  #nextId = 1;
  #closed = false;
  #respawns = 0;

  private constructor(readonly threads: number) {}

  /** Starts `threads` worker threads and waits until each is up. */
  static async create(threads: number): Promise<InferencePool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be >= 1, got ${threads}`);
    const pool = new InferencePool(threads);
    try {
      await Promise.all(Array.from({ length: threads }, () => pool.#spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  async createSession(path: string, options: LocalOptions): Promise<ModelSession> {
    if (this.#closed) throw new InferenceError("inference pool is closed");
    if (!existsSync(path)) {
      throw new ModelLoadError(
        path,
        `model file not found: ${path} (build models/dist or set PERSONA_MODELS_DIR / pass a model path)`,
      );
    }
    const sid = this.#nextId++;
    const replies = await Promise.all(this.#threads.map((t) => this.#create(t, sid, path, options)));
    this.#sessions.set(sid, { path, options });
    const first = replies[0];
    if (first?.type !== "created") throw new InferenceError("inference pool has no threads");
    return {
      inputNames: first.inputNames,
      outputNames: first.outputNames,
      run: (feeds) => this.#run(sid, feeds),
      release: async () => {
        this.#sessions.delete(sid);
        for (const t of this.#threads) t.worker.postMessage({ type: "release", sid } satisfies PoolRequest);
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const r of this.#queue.splice(0)) r.reject(new InferenceError("inference pool closed"));
    await Promise.all(
      this.#threads.map(async (t) => {
        t.worker.postMessage({ type: "close" } satisfies PoolRequest);
        const exited = new Promise<void>((r) => t.worker.once("exit", () => r()));
        const timer = setTimeout(() => void t.worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.#threads = [];
  }

  #request(t: Thread, msg: Exclude<PoolRequest, { type: "release" | "close" }>): Promise<PoolReply> {
    return new Promise<PoolReply>((resolve, reject) => {
      t.waiting.set(msg.id, { resolve, reject });
      t.worker.postMessage(msg);
    });
  }

  async #create(t: Thread, sid: number, path: string, options: LocalOptions): Promise<PoolReply> {
    const r = await this.#request(t, { type: "create", id: this.#nextId++, sid, path, options });
    if (r.type === "error") throw new ModelLoadError(path, `cannot load model ${path}: ${r.message}`);
    return r;
  }

  #run(sid: number, feeds: ort.InferenceSession.FeedsType): Promise<ort.InferenceSession.ReturnType> {
    if (this.#closed) return Promise.reject(new InferenceError("inference pool is closed"));
    if (this.#queue.length >= MAX_QUEUED) return Promise.reject(new InferenceError("inference pool is overloaded"));
    const wire: WireTensor[] = [];
    for (const [name, v] of Object.entries(feeds)) {
      const t = v as ort.Tensor;
      if (t.type !== "float32") throw new InferenceError(`input ${name}: only float32 tensors cross to the threads`);
      wire.push({ name, dims: [...t.dims], data: t.data as Float32Array });
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ sid, feeds: wire, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const t of this.#threads) {
      if (!t.usable || t.run !== null) continue;
      const run = this.#queue.shift();
      if (!run) return;
      t.run = run;
      this.#request(t, { type: "run", id: this.#nextId++, sid: run.sid, feeds: run.feeds }).then(
        (r) => {
          t.run = null;
          if (r.type === "result") {
            const out: Record<string, ort.Tensor> = {};
            for (const o of r.outputs) out[o.name] = new ort.Tensor("float32", o.data, o.dims);
            run.resolve(out);
          } else run.reject(new InferenceError(r.type === "error" ? r.message : `unexpected reply ${r.type}`));
          this.#dispatch();
        },
        (err: Error) => {
          t.run = null;
          run.reject(err);
          this.#dispatch();
        },
      );
    }
  }

  #spawn(): Promise<void> {
    const worker = startWorker();
    const t: Thread = { worker, waiting: new Map(), run: null, usable: false };
    return new Promise<void>((resolve, reject) => {
      let up = false;
      worker.on("message", (msg: PoolReply) => {
        if (msg.type === "ready") {
          up = true;
          this.#threads.push(t);
          // a replacement thread gets every session the pool has before it takes runs
          Promise.all([...this.#sessions].map(([sid, s]) => this.#create(t, sid, s.path, s.options))).then(
            () => {
              t.usable = true;
              resolve();
              this.#dispatch();
            },
            (err: Error) => {
              reject(err);
              void worker.terminate();
            },
          );
          return;
        }
        const w = t.waiting.get(msg.id);
        if (!w) return;
        t.waiting.delete(msg.id);
        w.resolve(msg);
      });
      worker.on("error", (err) => {
        if (!up) reject(new InferenceError(`inference thread failed to start: ${err.message}`, { cause: err }));
      });
      worker.once("exit", (code) => {
        this.#threads = this.#threads.filter((x) => x !== t);
        for (const w of t.waiting.values()) w.reject(new InferenceError(`inference thread exited (code ${code})`));
        t.waiting.clear();
        if (!up) {
          reject(new InferenceError(`inference thread exited during start (code ${code})`));
          return;
        }
        if (this.#closed) return;
        if (this.#respawns++ < MAX_RESPAWNS) {
          this.#spawn().catch(() => undefined);
        } else {
          for (const r of this.#queue.splice(0)) r.reject(new InferenceError("inference threads keep dying"));
        }
      });
    });
  }
}
