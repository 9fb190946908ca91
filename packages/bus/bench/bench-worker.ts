/**
 * A worker process of the bus benchmark (started by bus.bench.ts, never run by hand):
 *
 *   node --import tsx packages/bus/bench/bench-worker.ts <nats-url> <name> <concurrency>
 *
 * Its own Bus, consuming DETECTIONS through the recognizers' shared durable consumer (the declaration from
 * @persona/contracts, as the recognizer service would) with a FaceDetected handler that only records the time it was
 * called and returns ok(). Every handled event goes back to the parent over the IPC channel, in batches:
 * [trackId, frameNo, sentUs, receivedUs, deliveryCount]. The publisher writes its send time, in microseconds of wall
 * clock, into the envelope's `occurredAt` (an ISO time with 6 fractional digits, which the contract accepts): the
 * handler sees the parsed envelope only, not the NATS headers.
 *
 * BUS_BENCH_FAULT=redeliver (for checking the bench's own checks): the first delivery of frame 0 of every run asks for a
 * retry, so that event is handled twice and the bench must fail.
 */
import { pathToFileURL } from "node:url";
import { CONSUMERS } from "@persona/contracts";
import { ServiceMetrics, createLogger } from "@persona/runtime";
import { Bus } from "../src/bus.ts";
import { ok, retry } from "../src/outcome.ts";

export type HandledRecord = [trackId: string, frameNo: number, sentUs: number, receivedUs: number, deliveries: number];
export type WorkerMessage =
  | { t: "ready"; pid: number }
  | { t: "handled"; records: HandledRecord[] }
  | { t: "stopped"; handled: number }
  | { t: "error"; message: string };

/** Wall clock in microseconds, sub-millisecond (the same clock in every process of the machine). */
export const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

/** Parses an ISO time with up to 6 fractional digits to microseconds since the epoch. */
export function isoToUs(iso: string): number {
  const m = /^(.+T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return Number.NaN;
  const frac = (m[2] ?? "").padEnd(6, "0");
  return Date.parse(`${m[1]}${m[3]}`) * 1000 + Number(frac);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) {
  const [url, name = "bench-worker", concurrencyArg = "4"] = process.argv.slice(2);
  const send = (msg: WorkerMessage) => process.send?.(msg);
  const sendAndWait = (msg: WorkerMessage) =>
    new Promise<void>((resolve) => (process.send ? process.send(msg, undefined, {}, () => resolve()) : resolve()));
  if (!url || !process.send) {
    console.error("bench-worker: started by bus.bench.ts with an IPC channel and a NATS url");
    process.exit(2);
  }
  const decl = CONSUMERS.find((c) => c.stream === "DETECTIONS" && c.durable === "recognizers");
  if (!decl) throw new Error("no DETECTIONS/recognizers consumer in the contracts");

  const log = createLogger(name, process.env.LOG_LEVEL ?? "silent");
  const bus = await Bus.connect({ url, service: name, log, metrics: new ServiceMetrics(name), publishRetryMs: 10_000 });

  const fault = process.env.BUS_BENCH_FAULT;
  let batch: HandledRecord[] = [];
  let handled = 0;
  const flush = () => {
    if (batch.length === 0) return;
    send({ t: "handled", records: batch });
    batch = [];
  };
  const flusher = setInterval(flush, 20);

  await bus.consume({
    consumer: decl,
    concurrency: Number(concurrencyArg),
    handlers: {
      FaceDetected: async (env, ctx) => {
        const receivedUs = nowUs();
        handled++;
        batch.push([env.data.trackId, env.data.frameNo, isoToUs(env.occurredAt), receivedUs, ctx.deliveryCount]);
        if (batch.length >= 500) flush();
        if (fault === "redeliver" && env.data.frameNo === 0 && ctx.deliveryCount === 1)
          return retry("injected by BUS_BENCH_FAULT", 10);
        return ok();
      },
    },
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(flusher);
    try {
      await bus.close();
      if (batch.length > 0) await sendAndWait({ t: "handled", records: batch.splice(0) });
      await sendAndWait({ t: "stopped", handled });
    } catch (err) {
      await sendAndWait({ t: "error", message: (err as Error).message });
    }
    process.disconnect?.();
    process.exit(0);
  };
  process.on("message", (m: { t?: string }) => {
    if (m?.t === "stop") void stop();
  });
  // the parent went away: nothing to report to
  process.on("disconnect", () => {
    if (!stopping) void bus.close().finally(() => process.exit(0));
  });
  send({ t: "ready", pid: process.pid });
}
