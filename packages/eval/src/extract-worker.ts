/**
 * Worker-process entry of the extraction pool (extract.ts): builds one ExtractEngine from the settings in env
 * `PERSONA_EXTRACT_WORKER` and answers `{ id, items }` jobs with `{ id, results, times }`, one job at a time, over
 * the IPC channel. Exits when its parent goes away.
 */
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

const send = process.send?.bind(process);
if (!send || !process.env.PERSONA_EXTRACT_WORKER) throw new Error("extract-worker.ts must run as a forked extraction worker");
const init = JSON.parse(process.env.PERSONA_EXTRACT_WORKER) as WorkerInit;
const port = { postMessage: (m: WorkerReply) => send(m) };
process.on("disconnect", () => process.exit(0));

function fail(id: number | null, e: unknown): void {
  const reply: WorkerReply = {
    type: "error",
    id,
    message: e instanceof Error ? e.message : String(e),
    ...(e instanceof Error && e.stack ? { stack: e.stack } : {}),
  };
  port.postMessage(reply);
}

try {
  const engine = await ExtractEngine.create(init.settings, init.intraOpNumThreads);
  let chain: Promise<void> = Promise.resolve();
  process.on("message", (job: WorkerJob) => {
    chain = chain.then(async () => {
      try {
        const results = await engine.process(job.items);
        const reply: WorkerReply = { type: "done", id: job.id, results, times: { ...engine.times } };
        port.postMessage(reply);
      } catch (e) {
        fail(job.id, e);
      }
    });
  });
  port.postMessage({ type: "ready" } satisfies WorkerReply);
} catch (e) {
  fail(null, e);
}
