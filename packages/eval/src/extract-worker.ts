/**
 * Worker-thread entry of the extraction pool (extract.ts): builds one ExtractEngine from `workerData` and answers
 * `{ id, items }` jobs with `{ id, results, times }`, one job at a time.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ExtractEngine, type ExtractItem, type ExtractResult, type ExtractSettings, type StageTimes } from "./extract-engine.ts";

export interface WorkerInit {
  readonly settings: ExtractSettings;
  readonly intraOpNumThreads: number;
}
export interface WorkerJob {
  readonly id: number;
  readonly items: readonly ExtractItem[];
}
export type WorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly id: number; readonly results: readonly ExtractResult[]; readonly times: StageTimes }
  | { readonly type: "error"; readonly id: number | null; readonly message: string; readonly stack?: string };

const port = parentPort;
if (!port) throw new Error("extract-worker.ts must run in a worker thread");
const init = workerData as WorkerInit;

function fail(id: number | null, e: unknown): void {
  const reply: WorkerReply = {
    type: "error",
    id,
    message: e instanceof Error ? e.message : String(e),
    ...(e instanceof Error && e.stack ? { stack: e.stack } : {}),
  };
  port?.postMessage(reply);
}

try {
  const engine = await ExtractEngine.create(init.settings, init.intraOpNumThreads);
  let chain: Promise<void> = Promise.resolve();
  port.on("message", (job: WorkerJob) => {
    chain = chain.then(async () => {
      try {
        const results = await engine.process(job.items);
        const transfer: ArrayBuffer[] = [];
        for (const r of results) {
          if (r.embedding) transfer.push(r.embedding.buffer as ArrayBuffer);
          if (r.flipped) transfer.push(r.flipped.buffer as ArrayBuffer);
        }
        const reply: WorkerReply = { type: "done", id: job.id, results, times: { ...engine.times } };
        port.postMessage(reply, transfer);
      } catch (e) {
        fail(job.id, e);
      }
    });
  });
  port.postMessage({ type: "ready" } satisfies WorkerReply);
} catch (e) {
  fail(null, e);
}
