/**
 * A detector worker thread: loads its own BlazeFace session and analyses the frames the pool sends it. Frames arrive
 * as views of SharedArrayBuffers (no copy); chips go back as transferred buffers.
 */
import { parentPort, workerData } from "node:worker_threads";
import { FaceDetector, type LandmarkDetector } from "@persona/vision";
import { analyzeFrame, landmarksFor } from "./analysis.ts";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./detectorPool.ts";

const port = parentPort;
if (port === null) throw new Error("detectorWorker.ts must run in a worker thread");

const init = workerData as WorkerInit;
let detector: FaceDetector;
let landmarks: LandmarkDetector | null;
try {
  detector = await FaceDetector.create(init.detector);
  landmarks = await landmarksFor(init.analysis, init.detector.modelsDir);
  port.postMessage({ type: "ready" } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ type: "init-error", message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  process.exit(0);
}

port.on("message", (msg: WorkerRequest) => {
  if (msg.type === "close") {
    void Promise.all([detector.dispose(), landmarks?.dispose()]).finally(() => port.close());
    return;
  }
  const { id, frame } = msg;
  analyzeFrame(detector, frame, init.analysis, landmarks).then(
    (analysis) => {
      const transfer = analysis.faces.flatMap((f) => (f.chip ? [f.chip.data.buffer as ArrayBuffer] : []));
      port.postMessage({ type: "result", id, analysis } satisfies WorkerReply, transfer);
    },
    (err: unknown) => {
      port.postMessage({ type: "error", id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    },
  );
});
