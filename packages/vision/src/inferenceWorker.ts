/**
 * An inference worker thread of an `InferencePool`: holds onnxruntime sessions and runs them; nothing else. It never
 * touches pixels (OpenCV can be loaded by one thread of a process only: the pool's owner does the pixel work).
 */
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { createLocalSession } from "./models.ts";
import type { PoolReply, PoolRequest, WireTensor } from "./inferencePool.ts";

const port = parentPort;
if (port === null) throw new Error("inferenceWorker.ts must run in a worker thread");

const sessions = new Map<number, ort.InferenceSession>();

const reply = (msg: PoolReply, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

port.on("message", (msg: PoolRequest) => {
  switch (msg.type) {
    case "create":
      createLocalSession(msg.path, msg.options).then(
        (s) => {
          sessions.set(msg.sid, s);
          reply({ type: "created", id: msg.id, inputNames: [...s.inputNames], outputNames: [...s.outputNames] });
        },
        (err: unknown) => reply({ type: "error", id: msg.id, message: message(err) }),
      );
      return;
    case "run": {
      const s = sessions.get(msg.sid);
      if (!s) {
        reply({ type: "error", id: msg.id, message: `no session ${msg.sid} on this thread` });
        return;
      }
      const feeds: Record<string, ort.Tensor> = {};
      for (const t of msg.feeds) feeds[t.name] = new ort.Tensor("float32", t.data, t.dims);
      s.run(feeds).then(
        (out) => {
          const outputs: WireTensor[] = [];
          for (const [name, v] of Object.entries(out)) {
            // a copy of its own: onnxruntime's output memory is not ours to transfer
            outputs.push({ name, dims: [...v.dims], data: (v.data as Float32Array).slice() });
          }
          reply(
            { type: "result", id: msg.id, outputs },
            outputs.map((o) => o.data.buffer as ArrayBuffer),
          );
        },
        (err: unknown) => reply({ type: "error", id: msg.id, message: message(err) }),
      );
      return;
    }
    case "release": {
      const s = sessions.get(msg.sid);
      sessions.delete(msg.sid);
      void s?.release();
      return;
    }
    case "close":
      void Promise.all([...sessions.values()].map((s) => s.release())).finally(() => port.close());
      return;
    default: {
      const never: never = msg;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
});
reply({ type: "ready" });
