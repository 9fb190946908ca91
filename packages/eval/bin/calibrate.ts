/**
 * The threshold calibration shown next to the naming threshold in the console (Settings -> Recognition): for each
 * model and embedding mode the recognizers can run, the open-set identification rates on all of LFW (one enrolled
 * photo per person with at least 5; their other photos are mated probes; people with fewer photos are strangers)
 * at naming thresholds around the tuned one, with the model's tuned minMargin. Writes
 * packages/vision/src/calibration.gen.ts (committed; the portal reads it through @persona/vision).
 *
 *   node --import tsx packages/eval/bin/calibrate.ts [--models fr_feature,dlib-resnet29] [--modes single,flip]
 *       [--data DIR] [--workers 2] [--cache DIR | --no-cache] [--check]
 *
 * With the embedding cache warm a model takes seconds; cold, about 4 min per mode for fr_feature on 2 cores.
 * `--check` recomputes and fails when the committed file differs by more than 0.2 points (another CPU or
 * onnxruntime build moves the rates by a few probes, not more).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findDatasetsDir } from "@persona/runtime";
import { VOTE_DEFAULTS } from "@persona/recognition";
import {
  DEFAULT_EMBEDDER_MODEL,
  type EmbedMode,
  type EmbedderModelName,
  embedderSpec,
  resolveDetectorKind,
} from "@persona/vision";
import { DEFAULT_CACHE_DIR, evalLfwIdentify } from "../src/index.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const OUT = join(REPO, "packages/vision/src/calibration.gen.ts");

const { values: a } = parseArgs({
  options: {
    models: { type: "string", default: "fr_feature,dlib-resnet29" },
    modes: { type: "string", default: "single,flip" },
    data: { type: "string" },
    workers: { type: "string", default: "2" },
    cache: { type: "string" },
    "no-cache": { type: "boolean", default: false },
    check: { type: "boolean", default: false },
  },
  strict: true,
});

const die = (m: string): never => {
  process.stderr.write(`calibrate: ${m}\n`);
  process.exit(2);
};
const dataDir = a.data ?? join(findDatasetsDir() ?? die("no data sets found (set PERSONA_DATASETS)"), "lfw");
const modes = a.modes.split(",").map((m) => m.trim()) as EmbedMode[];
for (const m of modes) if (m !== "single" && m !== "flip") die(`--modes: single or flip, not ${m}`);

interface Point {
  threshold: number;
  dir: number;
  wrong: number;
  fpir: number;
}
const out: Record<string, Record<string, { minMargin: number; tuned: number; points: Point[] }>> = {};
const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

for (const name of a.models.split(",").map((m) => m.trim())) {
  const spec = embedderSpec(name);
  for (const mode of modes) {
    const t = spec.thresholds[mode];
    if (!t) {
      process.stderr.write(`calibrate: ${name} has no tuned ${mode} thresholds; skipped\n`);
      continue;
    }
    const tuned = t.openSet.threshold;
    const thresholds = Array.from({ length: 41 }, (_, i) => round(tuned - 0.2 + i * 0.01, 4)).filter((x) => x > -1 && x < 1);
    const r = await evalLfwIdentify({
      dataDir,
      model: spec,
      flip: mode === "flip",
      ensemble: false,
      // the recognizers' ALIGN_LANDMARKS=auto: 68 landmarks where the template has targets for them (dlib)
      landmarks: spec.template.landmarks68 !== undefined,
      workers: Number(a.workers),
      cacheDir: a["no-cache"] ? null : resolve(a.cache ?? DEFAULT_CACHE_DIR),
      thresholds: [...thresholds, tuned],
      minMargins: [t.openSet.minMargin],
      onProgress: (p) => {
        if (p.done === p.total) process.stderr.write(`[${name} ${mode}] ${p.phase} ${p.done}/${p.total}\n`);
      },
    });
    const points = r.decisions
      .map((d) => ({
        threshold: round(d.threshold),
        dir: round(d.matedCorrect),
        wrong: round(d.matedWrong),
        fpir: round(d.impostorAccepted),
      }))
      .sort((p, q) => p.threshold - q.threshold)
      .filter((p, i, all) => i === 0 || p.threshold !== all[i - 1]?.threshold);
    out[name] ??= {};
    (out[name] as Record<string, unknown>)[mode] = { minMargin: t.openSet.minMargin, tuned, points };
    const at = points.find((p) => p.threshold === round(tuned));
    process.stderr.write(
      `[${name} ${mode}] ${r.galleryPeople} enrolled, ${r.matedProbes} mated, ${r.nonMatedProbes} strangers; at the tuned ${tuned}: DIR ${((at?.dir ?? 0) * 100).toFixed(2)}%, FPIR ${((at?.fpir ?? 0) * 100).toFixed(2)}%\n`,
    );
  }
}

const body = {
  protocol:
    "LFW open-set identification: one enrolled photo for each person with at least 5, their other photos as mated probes, every photo of the people with fewer as strangers",
  command: "node --import tsx packages/eval/bin/calibrate.ts",
  detector: resolveDetectorKind("auto"),
  measuredAt: new Date().toISOString().slice(0, 10),
  recognizerDefault: { model: DEFAULT_EMBEDDER_MODEL, mode: VOTE_DEFAULTS.flip ? "flip" : "single" },
  models: out,
};

if (a.check) {
  const { THRESHOLD_CALIBRATION: before } = (await import(OUT)) as { THRESHOLD_CALIBRATION: typeof body };
  let worst = 0;
  for (const [m, byMode] of Object.entries(out)) {
    for (const [mode, c] of Object.entries(byMode)) {
      const prev = (before.models as Record<string, Record<string, { points: Point[] }>>)[m]?.[mode]?.points ?? [];
      for (const p of c.points) {
        const q = prev.find((x) => x.threshold === p.threshold);
        if (q) worst = Math.max(worst, Math.abs(q.dir - p.dir), Math.abs(q.fpir - p.fpir));
      }
    }
  }
  process.stdout.write(`calibrate --check: largest change ${(worst * 100).toFixed(2)} points\n`);
  process.exit(worst > 0.002 ? 1 : 0);
}

const models = Object.keys(out) as EmbedderModelName[];
writeFileSync(
  OUT,
  `/**
 * Generated by \`${body.command}\` (packages/eval/bin/calibrate.ts): do not edit. For each model and embedding mode,
 * ${body.protocol}, at naming thresholds around the tuned one (with the tuned minMargin): the share of enrolled
 * people's photos named correctly (dir), named as someone else (wrong), and the share of strangers named (fpir).
 * Models: ${models.join(", ")}.
 */
export const THRESHOLD_CALIBRATION = ${JSON.stringify(body, null, 2)} as const;
`,
);
// in the repository's format, so that `make lint` passes on the generated file as written
spawnSync("npx", ["biome", "format", "--write", OUT], { cwd: REPO, stdio: "ignore" });
process.stdout.write(`calibrate: wrote ${OUT}\n`);
