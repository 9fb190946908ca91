/**
 * Bus benchmark: publish-to-handler latency and throughput of FaceDetected events through JetStream, on loopback.
 *
 *   node --import tsx packages/bus/bench/bus.bench.ts [--json] [--events N] [--rate R] [--concurrency C] [--window W]
 *
 *   --json           print one JSON object on stdout instead of the table (progress goes to stderr either way)
 *   --events N       events of every measured run (default: 2000/6000 paced/flat-out at 1 KB, 1500/2000 at 50 KB)
 *   --rate R         events/s of the paced runs (default 500)
 *   --concurrency C  handler concurrency of each worker's consumer loop (default 4, the ConsumerLoop default)
 *   --window W       publishes in flight at once in flat-out runs (default 128)
 *
 * What runs: a nats-server of its own (startNatsServer: free port, temporary file store, removed at the end); this
 * process as the publisher (one Bus, `applyTopology`, `bus.publish` of real FaceDetected envelopes with msgID = the
 * envelope id, so server-side dedupe is on); 1 and then 2 worker processes (bench-worker.ts, each `node --import tsx`,
 * each with its own Bus and `bus.consume` on DETECTIONS through the shared durable consumer `recognizers`, as declared in
 * the contracts; the handler returns ok()). Events carry an inline JPEG-like crop (random bytes behind a JFIF header)
 * sized so the serialized envelope is ~1 KB or ~50 KB (~37 KB of binary, base64).
 *
 * Latency = the handler's call time minus the publisher's send time, both wall clock in microseconds
 * (performance.timeOrigin + performance.now(), same machine clock). The send time is stamped into the envelope's
 * `occurredAt` (ISO, 6 fractional digits; the contract accepts them) just before `bus.publish`, so the real
 * `Bus.publish` path is measured: a NATS header would not reach the handler, which only sees the parsed envelope.
 * It includes serialization, the publish round trip, the stream write, the pull delivery and the consumer loop's
 * JSON parse + schema validation. Modes: paced (a fixed rate; latency without queueing) and flat-out (publishes with W
 * in flight; throughput = events / (last handler call - first send); latency there is mostly queueing).
 *
 * Checks, failing the run (exit 1): every event handled exactly once (each frameNo once, none redelivered, none stray),
 * no publish acknowledged as a duplicate, and after each run the consumer has nothing pending or unacknowledged and the
 * work-queue stream is empty.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CONSUMERS, type EnvelopeOf } from "@persona/contracts";
import { ServiceMetrics, createLogger } from "@persona/runtime";
import { type NatsServerHandle, startNatsServer } from "@persona/testing";
import { Bus } from "../src/bus.ts";
import { type HandledRecord, type WorkerMessage, nowUs } from "./bench-worker.ts";

// ---------------------------------------------------------------- options

const { values: argv } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    events: { type: "string" },
    rate: { type: "string", default: "500" },
    concurrency: { type: "string", default: "4" },
    window: { type: "string", default: "128" },
  },
  strict: true,
});
const positiveInt = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} wants a positive integer, got ${v}`);
    process.exit(2);
  }
  return n;
};
const opts = {
  json: argv.json ?? false,
  events: positiveInt("events", argv.events),
  rate: positiveInt("rate", argv.rate) as number,
  concurrency: positiveInt("concurrency", argv.concurrency) as number,
  window: positiveInt("window", argv.window) as number,
};

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const workerFile = join(here, "bench-worker.ts");
const decl = CONSUMERS.find((c) => c.stream === "DETECTIONS" && c.durable === "recognizers");
if (!decl) throw new Error("no DETECTIONS/recognizers consumer in the contracts");

const progress = (msg: string) => process.stderr.write(`[bus.bench] ${msg}\n`);

// ---------------------------------------------------------------- payloads

/** Microseconds since the epoch as an ISO time with 6 fractional digits. */
function toIsoUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const micro = Math.min(999, Math.max(0, Math.round(us - ms * 1000)));
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micro).padStart(3, "0")}Z`;
}

/** Random bytes framed like a JPEG (SOI + JFIF APP0 ... EOI): incompressible, like a real crop. */
function jpegLike(size: number): Buffer {
  const b = randomBytes(Math.max(size, 24));
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00]).copy(b, 0);
  b[b.length - 2] = 0xff;
  b[b.length - 1] = 0xd9;
  return b;
}

function faceData(trackId: string, frameNo: number, base64: string) {
  return {
    cameraId: "bench-cam",
    trackId,
    shot: 1,
    frameNo,
    frameAt: new Date().toISOString(),
    frameSize: { width: 1280, height: 720 },
    box: { x: 512.5, y: 200.25, width: 160, height: 172 },
    keypoints: [
      [560.1, 260.4],
      [620.7, 258.9],
      [591.2, 292.6],
      [590.8, 325.1],
      [525.3, 270.2],
      [655.9, 268.7],
    ] as [number, number][],
    detectorScore: 0.974,
    quality: { score: 0.81, faceSize: 160, eyeDistance: 60.6, sharpness: 0.72, yaw: 3.1, pitch: -2.4, roll: 0.8 },
    crop: { kind: "inline" as const, contentType: "image/jpeg" as const, base64 },
  };
}

interface PayloadClass {
  label: string;
  target: number;
  base64: string;
  cropBytes: number;
  /** Serialized envelope size (bytes). */
  bytes: number;
}

function payloadClass(bus: Bus, label: string, target: number): PayloadClass {
  const stamp = toIsoUs(nowUs());
  const empty = bus.envelope("FaceDetected", faceData("w1-1k-paced", 1000, ""), { occurredAt: stamp });
  const overhead = Buffer.byteLength(JSON.stringify(empty));
  const cropBytes = Math.max(24, Math.floor((target - overhead) / 4) * 3);
  const base64 = jpegLike(cropBytes).toString("base64");
  const env = bus.envelope("FaceDetected", faceData("w1-1k-paced", 1000, base64), { occurredAt: stamp });
  return { label, target, base64, cropBytes, bytes: Buffer.byteLength(JSON.stringify(env)) };
}

// ---------------------------------------------------------------- workers and what they report

interface RunState {
  tag: string;
  n: number;
  counts: Uint8Array;
  latUs: Float64Array;
  received: number;
  duplicates: number;
  redelivered: number;
  perWorker: Map<number, number>;
  lastRecvUs: number;
  done: Promise<void>;
  resolve: () => void;
}

const runs = new Map<string, RunState>();
const failures: string[] = [];
let strays = 0;
let deadWorker: string | undefined;
let workerDied: ((why: string) => void) | undefined;
const workerDeath = new Promise<string>((r) => {
  workerDied = r;
});

function onRecords(pid: number, records: HandledRecord[]) {
  for (const [tag, frameNo, sentUs, recvUs, deliveries] of records) {
    const s = runs.get(tag);
    if (!s || frameNo < 0 || frameNo >= s.n) {
      strays++;
      continue;
    }
    if (deliveries > 1) s.redelivered++;
    s.perWorker.set(pid, (s.perWorker.get(pid) ?? 0) + 1);
    if (s.counts[frameNo] !== 0) {
      s.duplicates++;
      continue;
    }
    s.counts[frameNo] = 1;
    s.latUs[frameNo] = recvUs - sentUs;
    if (recvUs > s.lastRecvUs) s.lastRecvUs = recvUs;
    if (++s.received === s.n) s.resolve();
  }
}

interface Worker {
  name: string;
  proc: ChildProcess;
  pid: number;
  exited: Promise<void>;
  stopping: boolean;
}

async function startWorkers(url: string, count: number, group: string): Promise<Worker[]> {
  const ws = Array.from({ length: count }, (_, i) => {
    const name = `bench-${group}-${i + 1}`;
    const proc = spawn(process.execPath, ["--import", "tsx", workerFile, url, name, String(opts.concurrency)], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" },
    });
    const w: Worker = { name, proc, pid: proc.pid ?? -1, stopping: false, exited: Promise.resolve() };
    w.exited = new Promise<void>((res) =>
      proc.once("exit", (code, signal) => {
        if (!w.stopping) {
          deadWorker = `worker ${name} exited unexpectedly (code ${code}, signal ${signal})`;
          workerDied?.(deadWorker);
        }
        res();
      }),
    );
    const ready = new Promise<void>((res, rej) => {
      proc.on("message", (m: WorkerMessage) => {
        if (m.t === "ready") res();
        else if (m.t === "handled") onRecords(w.pid, m.records);
        else if (m.t === "error") failures.push(`worker ${name}: ${m.message}`);
      });
      proc.once("exit", () => rej(new Error(`worker ${name} exited before it was ready`)));
    });
    return { w, ready };
  });
  const timeout = sleep(30_000, undefined, { ref: false }).then(() => {
    throw new Error("workers not ready within 30 s");
  });
  await Promise.race([Promise.all(ws.map((x) => x.ready)), timeout]);
  return ws.map((x) => x.w);
}

async function stopWorkers(ws: Worker[]): Promise<void> {
  for (const w of ws) {
    w.stopping = true;
    if (w.proc.connected) w.proc.send({ t: "stop" });
  }
  await Promise.all(
    ws.map(async (w) => {
      const timedOut = await Promise.race([w.exited.then(() => false), sleep(8000, undefined, { ref: false }).then(() => true)]);
      if (timedOut) {
        failures.push(`worker ${w.name} did not stop within 8 s; killed`);
        w.proc.kill("SIGKILL");
        await w.exited;
      }
    }),
  );
}

// ---------------------------------------------------------------- publishing

type Mode = "paced" | "flat";

interface RunResult {
  workers: number;
  payload: string;
  payloadBytes: number;
  mode: Mode;
  events: number;
  offeredRate: number | null;
  /** events / (last publish ack - first send) */
  publishedPerSec: number;
  /** events / (last handler call - first send) */
  handledPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number; min: number };
  publishAckMs: { p50: number; p99: number };
  perWorker: number[];
  duplicates: number;
  redelivered: number;
  missing: number;
  durationS: number;
}

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function runOnce(
  bus: Bus,
  jsm: Bus["jsm"],
  o: { tag: string; workers: number; payload: PayloadClass; mode: Mode; n: number },
): Promise<RunResult> {
  const { tag, n, payload, mode } = o;
  let resolveDone = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const state: RunState = {
    tag,
    n,
    counts: new Uint8Array(n),
    latUs: new Float64Array(n),
    received: 0,
    duplicates: 0,
    redelivered: 0,
    perWorker: new Map(),
    lastRecvUs: 0,
    done,
    resolve: resolveDone,
  };
  runs.set(tag, state);

  // envelopes built (and validated) before the clock starts; `occurredAt` is stamped at send
  const envs: EnvelopeOf<"FaceDetected">[] = new Array(n);
  for (let k = 0; k < n; k++) envs[k] = bus.envelope("FaceDetected", faceData(tag, k, payload.base64));

  const ackMs = new Float64Array(n);
  let firstSentUs = 0;
  let lastAckUs = 0;
  let dupPublishes = 0;
  const publishErrors: string[] = [];
  const publishOne = async (k: number) => {
    const env = envs[k] as EnvelopeOf<"FaceDetected">;
    const sent = nowUs();
    if (firstSentUs === 0) firstSentUs = sent;
    env.occurredAt = toIsoUs(sent);
    try {
      const r = await bus.publish(env);
      const acked = nowUs();
      ackMs[k] = (acked - sent) / 1000;
      if (acked > lastAckUs) lastAckUs = acked;
      if (r.duplicate) dupPublishes++;
    } catch (err) {
      publishErrors.push((err as Error).message);
    }
  };

  const t0 = performance.now();
  if (mode === "flat") {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(opts.window, n) }, async () => {
        while (next < n) await publishOne(next++);
      }),
    );
  } else {
    const intervalMs = 1000 / opts.rate;
    const pending = new Set<Promise<void>>();
    let i = 0;
    while (i < n) {
      const due = Math.min(n, Math.floor((performance.now() - t0) / intervalMs) + 1);
      while (i < due) {
        if (pending.size >= opts.window) await Promise.race(pending);
        const p: Promise<void> = publishOne(i++).finally(() => pending.delete(p));
        pending.add(p);
      }
      const wait = t0 + i * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(pending);
  }

  const budgetMs = 20_000 + (mode === "paced" ? (n / opts.rate) * 1000 : n * 5);
  const outcome = await Promise.race([
    done.then(() => "ok"),
    workerDeath,
    sleep(budgetMs, undefined, { ref: false }).then(() => `timed out after ${Math.round(budgetMs / 1000)} s`),
  ]);
  const durationS = (performance.now() - t0) / 1000;
  if (outcome !== "ok" && deadWorker !== undefined) {
    // no point going on with a worker short
    failures.push(`${tag}: ${deadWorker}: ${state.received}/${n} handled`);
    throw new Error(deadWorker);
  }
  const problems: string[] = [];
  if (outcome !== "ok") problems.push(`${outcome}: ${state.received}/${n} handled`);
  if (publishErrors.length > 0) problems.push(`${publishErrors.length} publishes failed (first: ${publishErrors[0]})`);
  if (dupPublishes > 0) problems.push(`${dupPublishes} publishes acknowledged as duplicates`);

  // everything acked and gone from the work queue (and let late duplicates, if any, arrive)
  const drainDeadline = Date.now() + 10_000;
  for (;;) {
    const ci = await jsm.consumers.info(decl!.stream, decl!.durable);
    const si = await jsm.streams.info(decl!.stream);
    if (ci.num_ack_pending === 0 && ci.num_pending === 0 && si.state.messages === 0) {
      if (ci.num_redelivered > 0) problems.push(`consumer reports ${ci.num_redelivered} redelivered`);
      break;
    }
    if (Date.now() > drainDeadline) {
      problems.push(
        `not drained: ${ci.num_pending} pending, ${ci.num_ack_pending} unacknowledged, ${si.state.messages} left in ${decl!.stream}`,
      );
      break;
    }
    await sleep(50);
  }
  await sleep(100);
  if (state.duplicates > 0) problems.push(`${state.duplicates} events handled more than once`);
  if (state.redelivered > 0) problems.push(`${state.redelivered} deliveries with a delivery count above 1`);
  for (const p of problems) failures.push(`${tag}: ${p}`);

  const got = new Float64Array(state.received);
  let j = 0;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    if (state.counts[k]) {
      got[j++] = (state.latUs[k] as number) / 1000;
      sum += (state.latUs[k] as number) / 1000;
    }
  }
  got.sort();
  const acks = ackMs.slice().sort();
  return {
    workers: o.workers,
    payload: payload.label,
    payloadBytes: payload.bytes,
    mode,
    events: n,
    offeredRate: mode === "paced" ? opts.rate : null,
    publishedPerSec: lastAckUs > firstSentUs ? n / ((lastAckUs - firstSentUs) / 1e6) : Number.NaN,
    handledPerSec: state.lastRecvUs > firstSentUs ? state.received / ((state.lastRecvUs - firstSentUs) / 1e6) : Number.NaN,
    latencyMs: {
      p50: pct(got, 50),
      p90: pct(got, 90),
      p99: pct(got, 99),
      max: pct(got, 100),
      min: pct(got, 0.0001),
      mean: got.length > 0 ? sum / got.length : Number.NaN,
    },
    publishAckMs: { p50: pct(acks, 50), p99: pct(acks, 99) },
    perWorker: [...state.perWorker.values()],
    duplicates: state.duplicates,
    redelivered: state.redelivered,
    missing: n - state.received,
    durationS,
  };
}

// ---------------------------------------------------------------- main

function eventsFor(payload: PayloadClass, mode: Mode): number {
  if (opts.events !== undefined) return opts.events;
  const small = payload.target <= 4096;
  if (mode === "paced") return small ? 2000 : 1500;
  return small ? 6000 : 2000;
}

/** A paced run whose handlers fell behind the offered rate: its latency includes queueing. */
const behind = (r: RunResult) => r.offeredRate !== null && r.handledPerSec < 0.95 * r.offeredRate;

function table(results: RunResult[]): string {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  const head = [
    "workers",
    "payload",
    "mode",
    "events",
    "handled/s",
    "published/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "ack p50",
    "split",
  ];
  const rows = results.map((r) => [
    String(r.workers),
    `${(r.payloadBytes / 1024).toFixed(1)} KB`,
    r.mode === "paced" ? `paced ${r.offeredRate}/s${behind(r) ? "*" : ""}` : "flat-out",
    String(r.events),
    f(r.handledPerSec, 0),
    f(r.publishedPerSec, 0),
    f(r.latencyMs.p50),
    f(r.latencyMs.p90),
    f(r.latencyMs.p99),
    f(r.latencyMs.max),
    f(r.publishAckMs.p50),
    r.perWorker.join("/"),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

let server: NatsServerHandle | undefined;
let bus: Bus | undefined;
let workers: Worker[] = [];
let cleaningUp: Promise<void> | undefined;
const cleanup = () => {
  cleaningUp ??= (async () => {
    await stopWorkers(workers).catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await server?.dispose().catch(() => undefined);
  })();
  return cleaningUp;
};
process.once("SIGINT", () => {
  progress("interrupted; cleaning up");
  void cleanup().finally(() => process.exit(130));
});

let exitCode = 0;
try {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const load = loadavg();
  server = await startNatsServer();
  progress(`nats-server on ${server.url} (store ${server.storeDir})`);
  const log = createLogger("bench-publisher", process.env.LOG_LEVEL ?? "silent");
  bus = await Bus.connect({
    url: server.url,
    service: "bench-publisher",
    log,
    metrics: new ServiceMetrics("bench-publisher"),
    publishRetryMs: 10_000,
  });
  await bus.applyTopology();
  const serverVersion = bus.nc.info?.version ?? "?";

  const payloads = [payloadClass(bus, "1 KB", 1024), payloadClass(bus, "50 KB", 50 * 1024)];
  const [small, large] = payloads as [PayloadClass, PayloadClass];
  const results: RunResult[] = [];

  for (const count of [1, 2]) {
    const group = `w${count}`;
    progress(`starting ${count} worker process(es)`);
    workers = await startWorkers(server.url, count, group);
    progress(`warming up (${group})`);
    await runOnce(bus, bus.jsm, { tag: `${group}-warm-1k`, workers: count, payload: small, mode: "flat", n: 600 });
    await runOnce(bus, bus.jsm, { tag: `${group}-warm-50k`, workers: count, payload: large, mode: "flat", n: 200 });
    for (const payload of payloads) {
      for (const mode of ["paced", "flat"] as const) {
        const n = eventsFor(payload, mode);
        const tag = `${group}-${payload === small ? "1k" : "50k"}-${mode}`;
        progress(`${tag}: ${n} events`);
        const r = await runOnce(bus, bus.jsm, { tag, workers: count, payload, mode, n });
        results.push(r);
        progress(
          `${tag}: ${r.handledPerSec.toFixed(0)} handled/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms (${r.durationS.toFixed(1)} s)`,
        );
      }
    }
    await stopWorkers(workers);
    workers = [];
  }
  if (strays > 0) failures.push(`${strays} handled events belonged to no run`);

  const meta = {
    startedAt,
    elapsedS: Number(((performance.now() - started) / 1000).toFixed(1)),
    node: process.version,
    natsServer: serverVersion,
    cpus: cpus().length,
    loadAverageAtStart: load.map((x) => Number(x.toFixed(2))),
    consumer: `${decl.stream}/${decl.durable}`,
    consumerMaxAckPending: decl.maxAckPending,
    workerConcurrency: opts.concurrency,
    publishWindow: opts.window,
    pacedRate: opts.rate,
    payloads: payloads.map((p) => ({
      label: p.label,
      envelopeBytes: p.bytes,
      cropBytes: p.cropBytes,
      cropBase64Chars: p.base64.length,
    })),
    publishPath: "Bus.publish (msgID = envelope id, server-side dedupe); send time stamped into occurredAt (µs ISO)",
    latency: "handler call (worker process) minus send time (publisher process), same wall clock",
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ok: failures.length === 0, meta, results, failures }, null, 2)}\n`);
  } else {
    const lines = [
      `Bus benchmark: FaceDetected via JetStream on loopback (nats-server ${serverVersion}, file store, node ${process.version}, ${meta.cpus} CPUs, load ${meta.loadAverageAtStart.join(" ")})`,
      `publisher: this process, Bus.publish with msgID dedupe, ${opts.window} in flight when flat-out; workers: separate processes, Bus.consume ${meta.consumer} (max ack pending ${decl.maxAckPending}), concurrency ${opts.concurrency}, handler returns ok()`,
      `payloads: ${payloads.map((p) => `${p.label} = ${p.bytes} B envelope (${p.cropBytes} B crop)`).join(", ")}`,
      "latency: publish (before serialization) -> handler call in the worker; handled/s: events / (last handler call - first send); ack: publish round trip",
      "",
      table(results),
      "flat-out latency is mostly time spent queued behind the publish window.",
      ...(results.some(behind) ? ["* fell behind the offered rate (under 95 %): latency includes queueing"] : []),
      "",
      `${failures.length === 0 ? "OK: every event handled exactly once" : `FAILED:\n  ${failures.join("\n  ")}`} (${meta.elapsedS} s)`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (failures.length > 0) exitCode = 1;
} catch (err) {
  console.error(`[bus.bench] failed: ${(err as Error).stack ?? err}`);
  if (failures.length > 0) console.error(failures.join("\n"));
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
