/**
 * Runs a training run in a child process at low CPU priority (os.setPriority), so training never competes with
 * recognition for the CPU on equal terms, and its memory goes away with the process.
 */
import { fork } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import type { RunResult } from "./trainRun.ts";
import type { WorkerMessage, WorkerRequest } from "./worker.ts";

export interface ChildRun {
  result: Promise<RunResult>;
  /** Stops the run (lease lost, service stopping). */
  abort(reason: string): void;
  pid: number | undefined;
}

export function runInChild(
  req: WorkerRequest,
  o: { nice: number; onEpoch?: (e: Extract<WorkerMessage, { kind: "epoch" }>) => void },
): ChildRun {
  const child = fork(fileURLToPath(new URL("./worker.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  if (child.pid !== undefined && o.nice > 0) {
    try {
      setPriority(child.pid, o.nice);
    } catch {
      // not permitted: the run still works, at normal priority
    }
  }
  let aborted: string | undefined;
  const result = new Promise<RunResult>((resolve, reject) => {
    let settled = false;
    child.on("message", (m: WorkerMessage) => {
      if (m.kind === "epoch") o.onEpoch?.(m);
      else if (m.kind === "done") {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        reject(new Error(`training failed: ${m.message}`));
      }
    });
    child.on("error", (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    child.on("exit", (code, signal) => {
      if (!settled) reject(new Error(aborted ? `training aborted: ${aborted}` : `training process exited (${code ?? signal})`));
      settled = true;
    });
  });
  child.send(req);
  return {
    result,
    pid: child.pid,
    abort(reason: string) {
      aborted = reason;
      child.kill("SIGKILL");
    },
  };
}
