/**
 * Single-face latency of each built model in onnxruntime-node on 1 thread (intraOpNumThreads 1, interOpNumThreads 1,
 * graphOptimizationLevel 'all', sequential), batch 1, on an LFW face crop (a fixed pseudo-random image if LFW is
 * absent). Usage: node --import tsx models/bench-models.ts [--runs N] [--json]
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { quantile, timeRuns } from "@persona/testing";
import * as ort from "onnxruntime-node";
import { DIST_DIR, MANIFEST_PATH } from "./build.ts";
import { faceCrop, LFW_SAMPLES, lfwDir, toFloat, wholeImage } from "./src/lfw.ts";
import { type ModelEntry, readManifest } from "./src/manifest.ts";

interface BenchResult {
  model: string;
  file: string;
  mb: number;
  input: string;
  outputs: string;
  loadMs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  runs: number;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(",")}]`;
}

async function inputFor(e: ModelEntry, size: number): Promise<Float32Array> {
  const lfw = lfwDir();
  const sample = LFW_SAMPLES[0];
  if (lfw && sample) {
    const path = join(lfw, sample.file);
    const pixels = e.task === "face-detection" ? await wholeImage(path, size) : await faceCrop(path, size);
    return toFloat(pixels, e.input.range);
  }
  let seed = 12345;
  const pixels = Uint8Array.from({ length: size * size * 3 }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  });
  return toFloat(pixels, e.input.range);
}

async function bench(id: string, e: ModelEntry, runs: number): Promise<BenchResult> {
  const path = join(DIST_DIR, e.file);
  // a size-agnostic model (symbolic H, W) is timed at 256x256, the size of the original it was patched from
  const size = typeof e.input.shape[1] === "number" ? e.input.shape[1] : 256;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  const loadMs = performance.now() - t0;
  const feeds = { [e.input.name]: new ort.Tensor("float32", await inputFor(e, size), [1, size, size, 3]) };
  const times = await timeRuns(10, runs, () => session.run(feeds));
  await session.release();
  const at = (q: number) => quantile(times, q);
  return {
    model: id,
    file: e.file,
    mb: (await stat(path)).size / 1e6,
    input: `${e.input.name} ${shapeText(e.input.shape)} ${e.input.layout} ${e.input.channels} ${e.input.range[0]}..${e.input.range[1]}`,
    outputs: e.outputs.map((o) => `${o.name} ${shapeText(o.shape)}`).join(", "),
    loadMs,
    medianMs: at(0.5),
    p90Ms: at(0.9),
    minMs: times[0] as number,
    runs,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsArg = args.indexOf("--runs");
  const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 100;
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs needs a positive integer");
  const manifest = await readManifest(MANIFEST_PATH);
  const results: BenchResult[] = [];
  for (const [id, e] of Object.entries(manifest.models)) results.push(await bench(id, e, runs));
  if (args.includes("--json")) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  console.log(
    `onnxruntime-node ${ort.env.versions.common}, 1 thread, graphOptimizationLevel 'all', batch 1, ${runs} runs after 10 warm-up runs`,
  );
  for (const r of results) {
    console.log(
      `${r.model.padEnd(19)} ${r.mb.toFixed(2).padStart(6)} MB  median ${r.medianMs.toFixed(2).padStart(6)} ms  p90 ${r.p90Ms.toFixed(2).padStart(6)} ms  min ${r.minMs.toFixed(2).padStart(6)} ms  load ${r.loadMs.toFixed(0)} ms`,
    );
    console.log(`${"".padEnd(19)} in  ${r.input}`);
    console.log(`${"".padEnd(19)} out ${r.outputs}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
