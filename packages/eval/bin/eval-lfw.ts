/**
 * LFW evaluation of the embedders: 10-fold verification (pairs.txt), threshold tuning on View 1 (DevTrain ->
 * DevTest), open-set identification (LFW protocol), with an ROC SVG and a JSON report.
 *
 *   node --import tsx packages/eval/bin/eval-lfw.ts [options]
 *
 * Options (defaults in brackets):
 *   --data DIR            LFW directory [$PERSONA_DATASETS/lfw, else ../shared/datasets/lfw, else /work/shared/datasets/lfw]
 *   --models LIST         comma-separated model names, or "all" [the default model]
 *   --flip off|on|both    flip test-time augmentation [on]
 *   --enhance off|on|both chip enhancement before embedding (enhanceChip; the degrade-lfw.ts study) [off]
 *   --tasks LIST          tune (verification threshold on View 1), tune-id (open-set threshold + margin on View 1
 *                         people), verify (View 2 10-fold), identify (all LFW), identify-dev (View 1 people)
 *                         [tune,tune-id,verify,identify]; canonical prints the median keypoints of the detected
 *                         faces over all LFW images (the source of LFW_CANONICAL_KEYPOINTS, the no-face fallback)
 *   --template SPEC       alignment override: arcface:<size>[:<margin>] | dlib:<size>[:<padding>] [the model's];
 *                         SPEC:w<rightEye>,<leftEye>,<nose>,<mouth> sets keypoint weights of the fit (0 drops one);
 *                         SPEC+SPEC+... averages the embeddings of several crops (multi-crop ensemble)
 *   --ensemble off|on|both  multi-crop ensemble of the model (spec.ensemble; dlib: paddings 0.15, 0.2, 0.25) [on,
 *                         off with --template];
 *                         models whose ensemble is their single template run once
 *   --detector auto|yunet|blazeface  face detector [auto: YuNet when its file is present, else BlazeFace]
 *   --score-threshold X   detector minimum score [the detector's: YuNet 0.6, BlazeFace 0.5]
 *   --no-face centre|skip what to do with images without a detected face [centre]
 *   --landmarks off|on|SCALE  align from the 68-point landmark net (dlib's 51-point fit onto its mean face) instead
 *                         of BlazeFace's 4 keypoints; SCALE sets the landmark crop (eye-mouth distances across) [off]
 *   --margins LIST        identification: minMargin values tried with each --thresholds value [0]
 *   --thresholds LIST     identification: thresholds for the decision table [the View 1 verification threshold when
 *                         "tune" ran]; the "tune-id" decision (and its threshold without margin) is always added
 *   --target-fpir X       tune-id: FPIR budget on DevTrain [0.01]
 *   --score-norm none|as-norm  tune-id, identify: also the cohort-normalised decision (Gallery.decide with
 *                         scoreNorm, see packages/vision/src/scoreNorm.ts) with a cohort of faces of half of the
 *                         never-enrolled DevTrain people; those people leave every protocol (raw rows too) [none]
 *   --cohort-size N       as-norm: cohort images (seeded sample) [1000]; --cohort-seed N [1]
 *   --gallery-images N    identification: images enrolled per person (their first N) [1]; --min-images M [5]
 *   --workers N           worker threads (1 onnxruntime thread each), at most 2 [2]
 *   --cache DIR | --no-cache   embedding/detection cache [data/cache]
 *   --out DIR             where lfw-report.json and roc-lfw.svg go [data/eval]
 *   --quiet               no progress lines
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  DEFAULT_EMBEDDER_MODEL,
  type DetectorChoice,
  detectDefaultsFor,
  EMBEDDER_MODELS,
  type EmbedderSpec,
  embedderSpec,
  KEYPOINT_NAMES,
  parseDetectorChoice,
  resolveDetectorKind,
} from "@persona/vision";
import { findDatasetsDir } from "@persona/runtime";
import {
  DEFAULT_CACHE_DIR,
  type ExtractOptions,
  evalLfw,
  extractEmbeddings,
  lfwAllImages,
  evalLfwIdentify,
  type IdentificationReport,
  type NoFacePolicy,
  type Progress,
  parseTemplateSpec,
  reportToJson,
  type RocSeries,
  type OpenSetTuning,
  type ThresholdTuning,
  tuneLfwOpenSet,
  tuneLfwThreshold,
  type VerificationReport,
  writeRocSvg,
} from "../src/index.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const TASKS = ["tune", "tune-id", "verify", "identify", "identify-dev", "canonical"] as const;
type Task = (typeof TASKS)[number];

const { values: a } = parseArgs({
  options: {
    data: { type: "string" },
    models: { type: "string", default: DEFAULT_EMBEDDER_MODEL },
    flip: { type: "string", default: "on" },
    enhance: { type: "string", default: "off" },
    tasks: { type: "string", default: "tune,tune-id,verify,identify" },
    template: { type: "string" },
    ensemble: { type: "string" },
    "score-threshold": { type: "string" },
    detector: { type: "string", default: "auto" },
    "no-face": { type: "string", default: "centre" },
    landmarks: { type: "string", default: "off" },
    margins: { type: "string", default: "0" },
    "target-fpir": { type: "string", default: "0.01" },
    "score-norm": { type: "string", default: "none" },
    "cohort-size": { type: "string", default: "1000" },
    "cohort-seed": { type: "string", default: "1" },
    thresholds: { type: "string" },
    workers: { type: "string", default: "2" },
    "gallery-images": { type: "string", default: "1" },
    "min-images": { type: "string", default: "5" },
    cache: { type: "string" },
    "no-cache": { type: "boolean", default: false },
    out: { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

function die(msg: string): never {
  console.error(`eval-lfw: ${msg}`);
  process.exit(2);
}

if (a.help) {
  const src = (await import("node:fs")).readFileSync(fileURLToPath(import.meta.url), "utf8");
  console.log(src.slice(src.indexOf("/**") + 3, src.indexOf("*/")).replace(/^ \* ?/gm, ""));
  process.exit(0);
}

function findLfw(): string {
  const root = findDatasetsDir((d) => existsSync(join(d, "lfw", "pairs.txt")));
  if (!root)
    die("LFW not found (PERSONA_DATASETS, ../shared/datasets beside the repository, /work/shared/datasets); pass --data DIR");
  return join(root, "lfw");
}

const numList = (s: string, what: string): number[] =>
  s.split(",").map((x) => {
    const v = Number(x);
    if (x.trim() === "" || !Number.isFinite(v)) die(`bad number "${x}" in --${what}`);
    return v;
  });

const dataDir = resolve(a.data ?? findLfw());
const models: EmbedderSpec[] = (a.models === "all" ? Object.keys(EMBEDDER_MODELS) : a.models.split(",")).map(
  (m): EmbedderSpec => {
    try {
      return embedderSpec(m.trim());
    } catch (e) {
      return die(e instanceof Error ? e.message : String(e));
    }
  },
);
/** An off|on|both option as the values to run ([true] first for both, as the tables list them). */
const onOffBoth = (name: string, v: string | undefined): boolean[] =>
  v === "both" ? [true, false] : v === "on" ? [true] : v === "off" ? [false] : die(`--${name} must be off, on or both`);
const enhances = onOffBoth("enhance", a.enhance).reverse();
const flips = onOffBoth("flip", a.flip);
const ensembleArg = a.ensemble ?? (a.template ? "off" : "on");
const ensembles =
  ensembleArg === "both"
    ? [false, true]
    : ensembleArg === "on"
      ? [true]
      : ensembleArg === "off"
        ? [false]
        : die("--ensemble must be off, on or both");
const tasks = a.tasks.split(",").map((t) => t.trim()) as Task[];
for (const t of tasks) if (!TASKS.includes(t)) die(`unknown task "${t}" (${TASKS.join(", ")})`);
const workers = Number(a.workers);
if (!Number.isInteger(workers) || workers < 0 || workers > 2) die("--workers must be 0, 1 or 2 (the machines are shared)");
const noFace = a["no-face"] as NoFacePolicy;
if (noFace !== "centre" && noFace !== "skip") die("--no-face must be centre or skip");
const landmarks: ExtractOptions["landmarks"] =
  a.landmarks === "off"
    ? false
    : a.landmarks === "on"
      ? true
      : Number(a.landmarks) > 0
        ? { cropScale: Number(a.landmarks) }
        : die("--landmarks must be off, on or a crop scale > 0");
let detector: DetectorChoice;
try {
  detector = parseDetectorChoice(a.detector);
} catch (e) {
  die(`--detector: ${(e as Error).message}`);
}
const scoreThreshold =
  a["score-threshold"] === undefined
    ? detectDefaultsFor(resolveDetectorKind(detector)).scoreThreshold
    : Number(a["score-threshold"]);
if (!(scoreThreshold > 0 && scoreThreshold < 1)) die("--score-threshold must be in (0, 1)");
const galleryImages = Number(a["gallery-images"]);
const minImages = Number(a["min-images"]);
if (
  !Number.isInteger(minImages) ||
  minImages < 2 ||
  !Number.isInteger(galleryImages) ||
  galleryImages < 1 ||
  galleryImages >= minImages
) {
  die("--gallery-images must be >= 1 and below --min-images");
}
const margins = numList(a.margins, "margins");
const targetFpir = Number(a["target-fpir"]);
if (!(targetFpir > 0 && targetFpir < 1)) die("--target-fpir must be in (0, 1)");
if (a["score-norm"] !== "none" && a["score-norm"] !== "as-norm") die("--score-norm must be none or as-norm");
const cohortSize = Number(a["cohort-size"]);
const cohortSeed = Number(a["cohort-seed"]);
if (!Number.isInteger(cohortSize) || cohortSize < 1) die("--cohort-size must be a positive integer");
if (!Number.isInteger(cohortSeed)) die("--cohort-seed must be an integer");
const scoreNorm = a["score-norm"] === "as-norm" ? { scoreNorm: { size: cohortSize, seed: cohortSeed } } : {};
const fixedThresholds = a.thresholds ? numList(a.thresholds, "thresholds") : null;
const cacheDir = a["no-cache"] ? null : resolve(a.cache ?? DEFAULT_CACHE_DIR);
const outDir = resolve(a.out ?? join(REPO, "data/eval"));

function progress(label: string): (p: Progress) => void {
  let last = 0;
  let t0 = 0;
  return (p) => {
    if (a.quiet) return;
    const now = performance.now();
    if (p.phase === "embed" && t0 === 0) t0 = now;
    if (p.done !== p.total && now - last < 5000) return;
    last = now;
    const rate = p.phase === "embed" && now > t0 ? ` ${((p.done / (now - t0)) * 1000).toFixed(1)} img/s (incl. cached)` : "";
    process.stderr.write(`[${label}] ${p.phase} ${p.done}/${p.total}${rate}\n`);
  };
}

const pct = (v: number, d = 2) => `${(v * 100).toFixed(d)}%`;
const report: { dataDir: string; startedAt: string; results: unknown[] } = {
  dataDir,
  startedAt: new Date().toISOString(),
  results: [],
};
const rocs: RocSeries[] = [];
const rows: string[] = [];
const tuneRows: string[] = [];
const tuneIdRows: string[] = [];
const idRows: string[] = [];
const decisionRows: string[] = [];

for (const model of models) {
  for (const ensemble of ensembles) {
    if (ensemble && model.ensemble.length < 2 && ensembles.length > 1) continue;
    for (const [flip, enhance] of flips.flatMap((f) => enhances.map((e) => [f, e] as const))) {
      const [template = model.template, ...extraTemplates] = a.template
        ? a.template.split("+").map((t) => parseTemplateSpec(t, model.template))
        : [];
      if (ensemble && a.template) die("--ensemble and --template exclude each other");
      const label = `${model.name}${ensemble ? "+ens" : ""}${flip ? "+flip" : ""}${enhance ? "+enh" : ""}${landmarks ? `+lm68${typeof landmarks === "object" ? `@${landmarks.cropScale}` : ""}` : ""}${a.template ? ` ${[template, ...extraTemplates].map((t) => t.name).join("+")}` : ""}`;
      const crops: ExtractOptions = ensemble ? { ensemble: true } : { template, extraTemplates };
      const base: ExtractOptions = {
        model,
        ...crops,
        flip,
        enhance,
        landmarks,
        workers,
        cacheDir,
        noFace,
        detector,
        detect: { scoreThreshold },
      };
      let tuned: ThresholdTuning | null = null;
      if (tasks.includes("tune")) {
        tuned = await tuneLfwThreshold({ ...base, dataDir, onProgress: progress(`${label} view1`) });
        report.results.push({ label, ...tuned });
        const d = tuned.devTest;
        tuneRows.push(
          `| ${label} | ${tuned.devTrain.threshold.toFixed(4)} | ${pct(tuned.devTrain.accuracy)} | ${pct(d.atThreshold.accuracy)} | ${pct(d.atThreshold.tar)} / ${pct(d.atThreshold.far)} | ${(tuned.devTrain.atFar[0]?.threshold ?? Number.NaN).toFixed(4)} | ${pct(d.atFarThresholds[0]?.tar ?? Number.NaN)} / ${pct(d.atFarThresholds[0]?.far ?? Number.NaN)} | ${d.auc.toFixed(5)} | ${pct(tuned.view1TenFold.mean)} ± ${pct(tuned.view1TenFold.std)} |`,
        );
      }
      let openSet: OpenSetTuning | null = null;
      if (tasks.includes("tune-id")) {
        openSet = await tuneLfwOpenSet({
          ...base,
          dataDir,
          minImages,
          galleryImages,
          targetFpir,
          ...scoreNorm,
          onProgress: progress(`${label} view1-id`),
        });
        report.results.push({ label, ...openSet });
        const t = openSet.devTrain.tuned;
        const d = openSet.devTest.rates;
        const o = openSet.devTest.thresholdOnlyRates;
        const c = openSet.cohort;
        const lbl = c ? `${label} [cohort ${c.images} faces, k ${c.k}, seed ${c.seed}]` : label;
        tuneIdRows.push(
          `| ${lbl} | raw | ${t.threshold.toFixed(4)} | ${t.minMargin} | ${pct(t.matedCorrect)} / ${pct(t.impostorAccepted)} | ${pct(d.matedCorrect)} | ${pct(d.matedWrong)} | ${pct(d.impostorAccepted)} | ${o.threshold.toFixed(4)}: ${pct(o.matedCorrect)} / ${pct(o.matedWrong)} / ${pct(o.impostorAccepted)} |`,
        );
        const n = openSet.devTrain.norm;
        const nd = openSet.devTest.normRates;
        if (n && nd) {
          tuneIdRows.push(
            `| ${lbl} | as-norm | ${n.threshold.toFixed(4)} | ${n.minMargin} | ${pct(n.matedCorrect)} / ${pct(n.impostorAccepted)} | ${pct(nd.matedCorrect)} | ${pct(nd.matedWrong)} | ${pct(nd.impostorAccepted)} | - |`,
          );
        }
      }
      if (tasks.includes("verify")) {
        const r: VerificationReport = await evalLfw({
          ...base,
          dataDir,
          onProgress: progress(`${label} pairs`),
          ...(tuned ? { threshold: tuned.devTrain.threshold } : {}),
        });
        report.results.push({ label, ...r });
        rocs.push({ label: `${label} (${pct(r.accuracy.mean)})`, curve: r.roc });
        const t3 = r.tarAtFar.find((t) => t.targetFar === 1e-3);
        rows.push(
          `| ${label} | ${pct(r.accuracy.mean)} ± ${pct(r.accuracy.std)} | ${t3 ? `${pct(t3.tar)} (${t3.falseAccepts} FA)` : "-"} | ${r.auc.toFixed(5)} | ${r.noFace.count} | ${r.run.extraction.computed} new, ${r.run.extraction.fromCache} cached, ${r.run.extraction.seconds.toFixed(0)} s |`,
        );
      }
      const thresholds = fixedThresholds ?? (tuned ? [tuned.devTrain.threshold] : []);
      const decisions = openSet
        ? [
            { threshold: openSet.devTrain.tuned.threshold, minMargin: 0 },
            { threshold: openSet.devTrain.tuned.threshold, minMargin: openSet.devTrain.tuned.minMargin },
            ...(openSet.devTrain.norm
              ? [
                  {
                    threshold: openSet.devTrain.norm.threshold,
                    minMargin: openSet.devTrain.norm.minMargin,
                    score: "norm" as const,
                  },
                ]
              : []),
          ]
        : [];
      const identifyOptions = {
        ...base,
        dataDir,
        minImages,
        galleryImages,
        thresholds,
        minMargins: margins,
        decisions,
        ...scoreNorm,
      };
      for (const people of tasks.includes("identify-dev") ? (["devTrain", "devTest"] as const) : []) {
        const r = await evalLfwIdentify({ ...identifyOptions, people, onProgress: progress(`${label} id-${people}`) });
        report.results.push({ label, people, ...r });
        pushId(`${label} [${people}${galleryImages > 1 ? `, ${galleryImages} enrolled` : ""}]`, r);
      }
      if (tasks.includes("canonical")) {
        const run = await extractEmbeddings(await lfwAllImages(dataDir), { ...base, onProgress: progress(`${label} canonical`) });
        const faces = [...run.embeddings.values()].flatMap((e) => (e.face ? [e.face] : []));
        const median = (xs: number[]) => xs.sort((p, q) => p - q)[Math.floor(xs.length / 2)] ?? Number.NaN;
        const kp = Object.fromEntries(
          KEYPOINT_NAMES.filter((k) => faces.some((f) => f.keypoints[k])).map((k) => {
            const pts = faces.flatMap((f) => (f.keypoints[k] ? [f.keypoints[k]] : []));
            return [k, { x: median(pts.map((p) => p.x)), y: median(pts.map((p) => p.y)) }];
          }),
        );
        console.log(`median keypoints of ${faces.length} detected faces (of ${run.embeddings.size} images):`);
        console.log(JSON.stringify(kp, (_, v) => (typeof v === "number" ? Math.round(v * 10) / 10 : v)));
      }
      if (tasks.includes("identify")) {
        const r = await evalLfwIdentify({ ...identifyOptions, onProgress: progress(`${label} identify`) });
        report.results.push({ label, people: "all", ...r });
        pushId(`${label}${galleryImages > 1 ? ` [${galleryImages} enrolled]` : ""}`, r);
      }
    }
  }
}

function pushId(label: string, r: IdentificationReport): void {
  const f1 = r.atFpir.find((p) => p.targetFpir === 0.01);
  const n1 = r.atFpirNorm.find((p) => p.targetFpir === 0.01);
  const lbl = r.cohort ? `${label} [cohort ${r.cohort.images} faces, k ${r.cohort.k}, seed ${r.cohort.seed}]` : label;
  idRows.push(
    `| ${lbl} | ${r.galleryPeople} / ${r.matedProbes} / ${r.nonMatedProbes} | ${pct(r.rank1)} | ${pct(r.rank5)} | ${f1 ? `${pct(f1.dir)} (FNIR ${pct(f1.fnir)}, t=${f1.threshold.toFixed(4)})` : "-"} | ${n1 ? `${pct(n1.dir)} (t=${n1.threshold.toFixed(4)})` : "-"} | ${r.run.extraction.computed} new, ${r.run.extraction.fromCache} cached, ${r.run.extraction.seconds.toFixed(0)} s |`,
  );
  for (const d of r.decisions) {
    decisionRows.push(
      `| ${lbl} | ${d.score} | ${d.threshold.toFixed(4)} | ${d.minMargin} | ${pct(d.matedCorrect)} | ${pct(d.matedWrong)} | ${pct(d.matedUnknown)} | ${pct(d.impostorAccepted)} |`,
    );
  }
}

await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, "lfw-report.json"), reportToJson(report));
if (rocs.length) {
  await writeRocSvg(join(outDir, "roc-lfw.svg"), rocs, {
    title: "LFW View 2 (pairs.txt, 6,000 pairs)",
    farMin: 1e-3,
    tarMin: 0.5,
  });
}
const out: string[] = [];
/** A markdown table under its title (a blank line after it), when it has rows. */
function table(title: string, header: string, rows: readonly string[]): void {
  if (!rows.length) return;
  const columns = header.split(" | ").length;
  out.push(title, header, `|${" --- |".repeat(columns)}`, ...rows, "");
}
table(
  "View 1: threshold tuned on DevTrain (2,200 pairs), applied to DevTest (1,000 pairs)\n",
  "| model | DevTrain threshold | DevTrain acc | DevTest acc | DevTest TAR / FAR | strict thr. (FAR<=1e-3 on DevTrain) | DevTest TAR / FAR | DevTest AUC | View 1 10-fold |",
  tuneRows,
);
table(
  `View 1 open-set decision: threshold + minMargin tuned on the DevTrain people's identification protocol (best DIR with FPIR <= ${targetFpir}), applied to the DevTest people\n`,
  "| model | score | threshold | minMargin | DevTrain DIR / FPIR | DevTest DIR | DevTest wrong person | DevTest FPIR | threshold alone (same tuning): DevTest DIR / wrong / FPIR |",
  tuneIdRows,
);
table("View 2: 10-fold verification (pairs.txt)\n", "| model | accuracy ± std | TAR@FAR=1e-3 | AUC | no face | embedded |", rows);
table(
  "Open-set identification\n",
  "| model | gallery / mated / non-mated | rank-1 | rank-5 | DIR at FPIR 1% | DIR at FPIR 1%, as-norm score alone | embedded |",
  idRows,
);
table(
  "Matcher decisions (threshold + minMargin)\n",
  "| model | score | threshold | minMargin | mated: correct | mated: wrong person | mated: unknown | impostors accepted |",
  decisionRows,
);
console.log(out.join("\n"));
console.log(`report: ${join(outDir, "lfw-report.json")}${rocs.length ? `, ROC: ${join(outDir, "roc-lfw.svg")}` : ""}`);
