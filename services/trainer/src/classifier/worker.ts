/**
 * Child-process entry of a training run (forked by runInChild, which lowers its priority): receives the run data,
 * reports each epoch, answers with the result. One run per process; the process exits after answering.
 */
import type { RunData } from "./dataset.ts";
import { type RunResult, trainAndExport } from "./trainRun.ts";

export type WorkerRequest = {
  kind: "train";
  data: RunData;
  options: Omit<Parameters<typeof trainAndExport>[1], "onEpoch">;
};
export type WorkerMessage =
  | { kind: "epoch"; epoch: number; epochs: number; loss: number; seconds: number }
  | { kind: "done"; result: RunResult }
  | { kind: "error"; message: string };

if (process.send) {
  let answered = false;
  // the trainer that forked this run is gone (kill -9): stop now instead of training for nobody. The orphan went on
  // for a minute, holding the trainer's stdout, so `persona run` could not exit after a Ctrl-C until it ended.
  process.once("disconnect", () => {
    if (!answered) process.exit(2);
  });
  const send = (m: WorkerMessage) => new Promise<void>((resolve) => process.send?.(m, undefined, {}, () => resolve()));
  process.once("message", async (req: WorkerRequest) => {
    try {
      const result = await trainAndExport(req.data, {
        ...req.options,
        onEpoch: (e) => void send({ kind: "epoch", ...e }),
      });
      await send({ kind: "done", result });
    } catch (err) {
      await send({ kind: "error", message: (err as Error).stack ?? String(err) });
    }
    answered = true;
    process.disconnect();
    process.exit(0);
  });
}
