/**
 * The evaluations the CLI runs: LFW 10-fold verification, a generic pairs file, LFW View 1 threshold tuning
 * (DevTrain -> DevTest) and open-set identification (LFW protocol or folder-per-person sets). Each returns a
 * JSON-serialisable report; verification reports also carry their ROC curve (`roc`) for `writeRocSvg`.
 */
import { dirname, relative } from "node:path";
import { dot, type EmbedderSpec, ScoreCohort } from "@persona/vision";
import { chooseCohort, type LfwCohortOptions, withoutPeople } from "./cohort.ts";
import { EvaluationError } from "./errors.ts";
import { type ExtractOptions, type ExtractRun, type ExtractStats, extractEmbeddings, settingsMode } from "./extract.ts";
import { listPersonFolders } from "./folders.ts";
import {
  type DecisionCounts,
  type IdentificationMetrics,
  identificationMetrics,
  decisionRates,
  type ScoreKind,
  type SearchOutcomes,
  searchOutcomes,
  type TunedDecision,
  tuneDecision,
} from "./identification.ts";
import {
  buildLfwIdentification,
  type IdentificationProtocol,
  type LfwIdentificationOptions,
  lfwImagePath,
  readLfwPairs,
  readLfwPeople,
} from "./lfw.ts";
import {
  type KFoldResult,
  kFoldAccuracy,
  type RatesAt,
  type RocCurve,
  ratesAt,
  rocAuc,
  rocCurve,
  stratifiedFolds,
  type TarAtFar,
  tarAtFar,
  bestThreshold,
} from "./metrics.ts";
import { type PairSpec, readPairsFile } from "./pairs-file.ts";

/** Similarity given to a pair when an image has no embedding (never accepted at any threshold above -1). */
export const MISSING_SCORE = -1;

export interface RunInfo {
  readonly model: string;
  readonly dims: number;
  readonly template: string;
  /** "single" | "flip" | "ensemble" | "ensemble+flip", or null for custom templates. */
  readonly mode: string | null;
  readonly flip: boolean;
  /** The face detector (YuNet when its file is present, else BlazeFace; the `detector` option). */
  readonly detector: string;
  /**
   * How faces were aligned: from the detector's keypoints (YuNet's five, BlazeFace's four) fitted to the model's
   * template, or from the 68-point landmark net (`landmarks` option, dlib templates only).
   */
  readonly alignment: "5 keypoints" | "4 keypoints" | "68 landmarks";
  readonly pick: string;
  readonly noFace: string;
  readonly detectorScoreThreshold: number;
  readonly extraction: ExtractStats;
}

export interface NoFaceSummary {
  /** Images (of the evaluated set) in which the detector found no face. */
  readonly count: number;
  /** What was done with them. */
  readonly fallback: "centre" | "skip";
  readonly description: string;
  /** Their paths relative to the data directory (all of them). */
  readonly images: readonly string[];
  /** Pairs with at least one such image, and the accuracy on them (with each fold's threshold). */
  readonly pairsAffected: number;
  readonly accuracyOnAffectedPairs: number | null;
  /** Images that could not be decoded (never expected on LFW). */
  readonly failed: readonly string[];
}

export interface VerificationReport {
  readonly kind: "verification";
  readonly dataset: string;
  readonly pairsFile: string;
  readonly pairs: number;
  readonly genuinePairs: number;
  readonly impostorPairs: number;
  readonly images: number;
  readonly run: RunInfo;
  /** k-fold accuracy: threshold chosen on k-1 folds, tested on the remaining one. */
  readonly accuracy: KFoldResult;
  /** Pooled over all pairs (cosine scores need no training, so folds share one scale). */
  readonly tarAtFar: readonly TarAtFar[];
  readonly auc: number;
  /** Rates at a fixed threshold, when one was given. */
  readonly atThreshold: RatesAt | null;
  readonly noFace: NoFaceSummary;
  /** Score distribution summary. */
  readonly scores: { readonly genuineMean: number; readonly impostorMean: number; readonly dPrime: number };
  /** The ROC over all pairs (left out of JSON by `reportToJson`). */
  readonly roc: RocCurve;
}

export interface VerificationOptions extends ExtractOptions {
  /** FARs for TAR@FAR. Default [1e-3, 1e-2]. */
  farTargets?: readonly number[];
  /** Also report rates at this fixed threshold. */
  threshold?: number;
  /** Folds when the pairs have none. Default 10. */
  folds?: number;
}

/** The keypoints the template fits: YuNet's mouth corners where both the detector and the template have them. */
function keypointsUsed(s: ExtractRun["settings"]): "5 keypoints" | "4 keypoints" {
  const corners = "mouthRight" in s.template.points && "mouthLeft" in s.template.points;
  return s.detector === "yunet" && corners ? "5 keypoints" : "4 keypoints";
}

function runInfo(run: ExtractRun): RunInfo {
  const s = run.settings;
  return {
    model: s.model.name,
    dims: s.model.dims,
    template: [s.template, ...s.extraTemplates].map((t) => t.name).join(" + "),
    mode: settingsMode(s),
    flip: s.flip,
    detector: s.detector,
    alignment: s.landmarks ? "68 landmarks" : keypointsUsed(s),
    pick: s.pick,
    noFace: s.noFace,
    detectorScoreThreshold: s.detect.scoreThreshold ?? 0.5,
    extraction: run.stats,
  };
}

const NO_FACE_TEXT = {
  centre:
    "no face detected: aligned from the LFW canonical keypoints (median BlazeFace keypoints over LFW, scaled to the image), i.e. a centre crop",
  skip: `no face detected: no embedding; pairs with such an image score ${MISSING_SCORE} (rejected)`,
} as const;

/** Scores pairs from an extraction run. */
export function scorePairs(pairs: readonly PairSpec[], run: ExtractRun): Float64Array {
  const scores = new Float64Array(pairs.length);
  pairs.forEach((p, i) => {
    const a = run.embeddings.get(p.img1)?.vector;
    const b = run.embeddings.get(p.img2)?.vector;
    scores[i] = a && b ? dot(a, b) : MISSING_SCORE;
  });
  return scores;
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
}

/** Verification metrics of scored pairs (k-fold accuracy, ROC, TAR@FAR, AUC, no-face summary). */
export function verificationReport(
  pairs: readonly PairSpec[],
  run: ExtractRun,
  meta: { dataset: string; pairsFile: string; dataDir: string },
  opts: VerificationOptions,
): VerificationReport {
  const scores = scorePairs(pairs, run);
  const labels = pairs.map((p) => p.same);
  const folds = pairs.every((p) => p.fold !== null)
    ? pairs.map((p) => p.fold as number)
    : stratifiedFolds(labels, opts.folds ?? 10);
  const accuracy = kFoldAccuracy(scores, labels, folds);
  const roc = rocCurve(scores, labels);
  const rel = (p: string) => relative(meta.dataDir, p);
  const noFaceImgs = [...run.embeddings.values()]
    .filter((e) => e.status === "fallback" || e.status === "no_face")
    .map((e) => e.path);
  const failed = [...run.embeddings.values()].filter((e) => e.status === "failed").map((e) => rel(e.path));
  const bad = new Set(noFaceImgs);
  const thrOfFold = new Map(accuracy.folds.map((f) => [f.fold, f.threshold]));
  let affected = 0;
  let affectedRight = 0;
  pairs.forEach((p, i) => {
    if (!bad.has(p.img1) && !bad.has(p.img2)) return;
    affected++;
    if ((scores[i] as number) >= (thrOfFold.get(folds[i] as number) as number) === p.same) affectedRight++;
  });
  const gen = [...scores].filter((_, i) => labels[i]);
  const imp = [...scores].filter((_, i) => !labels[i]);
  const dPrime = (mean(gen) - mean(imp)) / Math.sqrt((variance(gen) + variance(imp)) / 2);
  return {
    kind: "verification",
    dataset: meta.dataset,
    pairsFile: meta.pairsFile,
    pairs: pairs.length,
    genuinePairs: gen.length,
    impostorPairs: imp.length,
    images: run.embeddings.size,
    run: runInfo(run),
    accuracy,
    tarAtFar: (opts.farTargets ?? [1e-3, 1e-2]).map((f) => tarAtFar(roc, f)),
    auc: rocAuc(roc),
    atThreshold: opts.threshold !== undefined ? ratesAt(scores, labels, opts.threshold) : null,
    noFace: {
      count: noFaceImgs.length,
      fallback: run.settings.noFace,
      description: NO_FACE_TEXT[run.settings.noFace],
      images: noFaceImgs.map(rel).sort(),
      pairsAffected: affected,
      accuracyOnAffectedPairs: affected ? affectedRight / affected : null,
      failed,
    },
    scores: { genuineMean: mean(gen), impostorMean: mean(imp), dPrime },
    roc,
  };
}

export interface LfwOptions extends VerificationOptions {
  /** The LFW directory (`<dir>/<Name>/<Name>_NNNN.jpg` + protocol files). */
  dataDir: string;
  /** Protocol file in `dataDir`. Default "pairs.txt" (View 2, 10 folds). */
  pairsFile?: string;
}

/** LFW 10-fold verification with the official pairs.txt (or another LFW-format pairs file). */
export async function evalLfw(opts: LfwOptions): Promise<VerificationReport> {
  const pairsFile = opts.pairsFile ?? "pairs.txt";
  const pairs = await readLfwPairs(opts.dataDir, pairsFile);
  const images = [...new Set(pairs.flatMap((p) => [p.img1, p.img2]))];
  const run = await extractEmbeddings(images, opts);
  return verificationReport(pairs, run, { dataset: "lfw", pairsFile, dataDir: opts.dataDir }, opts);
}

/** Verification on a generic TSV pairs file (see pairs-file.ts). No-face fallback defaults to "skip" here. */
export async function evalPairs(file: string, opts: VerificationOptions = {}): Promise<VerificationReport> {
  const parsed = await readPairsFile(file);
  const images = [...new Set(parsed.pairs.flatMap((p) => [p.img1, p.img2]))];
  const run = await extractEmbeddings(images, { noFace: "skip", ...opts });
  return verificationReport(parsed.pairs, run, { dataset: "pairs", pairsFile: file, dataDir: dirname(file) }, opts);
}

export interface ThresholdTuning {
  readonly kind: "threshold-tuning";
  readonly run: RunInfo;
  readonly devTrain: {
    readonly pairs: number;
    /** Accuracy-optimal threshold on DevTrain and its (training) accuracy. */
    readonly threshold: number;
    readonly accuracy: number;
    /** Stricter thresholds: the loosest one with FAR <= target on DevTrain. */
    readonly atFar: readonly TarAtFar[];
  };
  readonly devTest: {
    readonly pairs: number;
    /** Rates of the DevTrain accuracy-optimal threshold. */
    readonly atThreshold: RatesAt;
    /** Rates of each stricter DevTrain threshold. */
    readonly atFarThresholds: readonly RatesAt[];
    readonly auc: number;
  };
  readonly noFace: { readonly devTrain: number; readonly devTest: number };
  /**
   * 10-fold cross-validated accuracy over all View 1 pairs (DevTrain + DevTest, 3,200 pairs, stratified folds): a
   * lower-variance figure for choosing models and alignment settings without touching View 2.
   */
  readonly view1TenFold: KFoldResult;
}

/** Tunes the verification threshold on LFW View 1 DevTrain and reports it on DevTest. */
export async function tuneLfwThreshold(opts: LfwOptions): Promise<ThresholdTuning> {
  const train = await readLfwPairs(opts.dataDir, "pairsDevTrain.txt");
  const test = await readLfwPairs(opts.dataDir, "pairsDevTest.txt");
  const images = [...new Set([...train, ...test].flatMap((p) => [p.img1, p.img2]))];
  const run = await extractEmbeddings(images, opts);
  const trS = scorePairs(train, run);
  const trL = train.map((p) => p.same);
  const teS = scorePairs(test, run);
  const teL = test.map((p) => p.same);
  const best = bestThreshold(trS, trL);
  const trRoc = rocCurve(trS, trL);
  const atFar = (opts.farTargets ?? [1e-3, 1e-2]).map((f) => tarAtFar(trRoc, f));
  const noFace = (ps: readonly PairSpec[]) =>
    new Set(ps.flatMap((p) => [p.img1, p.img2]).filter((i) => (run.embeddings.get(i)?.status ?? "failed") !== "detected")).size;
  return {
    kind: "threshold-tuning",
    run: runInfo(run),
    devTrain: { pairs: train.length, threshold: best.threshold, accuracy: best.accuracy, atFar },
    devTest: {
      pairs: test.length,
      atThreshold: ratesAt(teS, teL, best.threshold),
      atFarThresholds: atFar.map((a) => ratesAt(teS, teL, a.threshold)),
      auc: rocAuc(rocCurve(teS, teL)),
    },
    noFace: { devTrain: noFace(train), devTest: noFace(test) },
    view1TenFold: kFoldAccuracy([...trS, ...teS], [...trL, ...teL], stratifiedFolds([...trL, ...teL], 10)),
  };
}

export interface IdentificationReport extends IdentificationMetrics {
  readonly kind: "identification";
  readonly protocol: string;
  readonly run: RunInfo;
  /** The score-normalisation cohort, when one was used. */
  readonly cohort?: CohortInfo;
}

export interface IdentifyOptions extends ExtractOptions {
  /** Matcher threshold(s) to evaluate `decide` at (cosine), each with every `minMargins` value. Default: the
   * model's measured open-set threshold for the run's mode, if any. */
  thresholds?: readonly number[];
  /** Margins to evaluate with each threshold. Default [0]. */
  minMargins?: readonly number[];
  /** More (threshold, minMargin) pairs to evaluate ("norm": on cohort-normalised scores, needs a cohort). */
  decisions?: readonly { readonly threshold: number; readonly minMargin: number; readonly score?: ScoreKind }[];
  /** Default [0.001, 0.01, 0.1]. */
  fpirTargets?: readonly number[];
}

/** What a score-normalised evaluation used as its cohort. */
export interface CohortInfo {
  /** Images in the cohort (with an embedding) / people they come from / people removed from the protocols. */
  readonly images: number;
  readonly imagePeople: number;
  readonly excludedPeople: number;
  /** `ScoreCohort.k`. */
  readonly k: number;
  readonly seed: number;
}

interface LfwCohort {
  readonly cohort: ScoreCohort;
  readonly people: ReadonlySet<string>;
  readonly info: CohortInfo;
}

/** The LFW score-normalisation cohort (`chooseCohort` over the DevTrain people), embedded. */
async function lfwCohort(dataDir: string, minImages: number, c: LfwCohortOptions, opts: ExtractOptions): Promise<LfwCohort> {
  const seed = c.seed ?? 1;
  const choice = chooseCohort(await readLfwPeople(dataDir, "devTrain"), minImages, c.size ?? 1000, seed);
  const paths = choice.images.map((i) => lfwImagePath(dataDir, i.personId, i.index));
  const run = await extractEmbeddings(paths, opts);
  const vectors = paths.flatMap((p) => {
    const v = run.embeddings.get(p)?.vector;
    return v ? [v] : [];
  });
  const cohort = new ScoreCohort(run.settings.model.dims, vectors, {
    ...(c.topFraction !== undefined ? { topFraction: c.topFraction } : {}),
    ...(c.minSize !== undefined ? { minSize: c.minSize } : {}),
  });
  if (!cohort.usable)
    throw new EvaluationError("dataset", `the cohort has ${cohort.size} faces, fewer than its minSize ${cohort.minSize}`);
  return {
    cohort,
    people: choice.people,
    info: {
      images: cohort.size,
      imagePeople: new Set(choice.images.map((i) => i.personId)).size,
      excludedPeople: choice.people.size,
      k: cohort.k,
      seed,
    },
  };
}

/** Embeds a protocol's images and searches every probe (with `cohort`: normalised scores too). */
export async function searchProtocol(
  protocol: IdentificationProtocol,
  opts: ExtractOptions,
  cohort?: ScoreCohort,
): Promise<{ run: ExtractRun; outcomes: SearchOutcomes }> {
  const galleryList = [...protocol.gallery].flatMap(([personId, paths]) => paths.map((path) => ({ personId, path })));
  const all = [...galleryList, ...protocol.probes, ...protocol.impostors].map((x) => x.path);
  const run = await extractEmbeddings(all, opts);
  const vec = (l: { personId: string; path: string }) => ({
    personId: l.personId,
    vector: run.embeddings.get(l.path)?.vector ?? null,
  });
  const outcomes = searchOutcomes({
    dims: run.settings.model.dims,
    gallery: galleryList.map(vec),
    probes: protocol.probes.map(vec),
    impostors: protocol.impostors.map(vec),
    ...(cohort ? { cohort } : {}),
  });
  return { run, outcomes };
}

/** Identification metrics of a protocol. */
export async function evalProtocol(
  protocol: IdentificationProtocol,
  opts: IdentifyOptions,
  cohort?: ScoreCohort,
): Promise<IdentificationReport> {
  const { run, outcomes } = await searchProtocol(protocol, opts, cohort);
  const spec: EmbedderSpec = run.settings.model;
  const mode = settingsMode(run.settings);
  const known = mode ? spec.thresholds[mode] : undefined;
  const thresholds = opts.thresholds ?? (known ? [known.openSet.threshold] : []);
  const margins = opts.minMargins ?? [0];
  const metrics = identificationMetrics(outcomes, {
    ...(opts.fpirTargets ? { fpirTargets: opts.fpirTargets } : {}),
    decisions: [
      ...thresholds.flatMap((threshold) => margins.map((minMargin) => ({ threshold, minMargin }))),
      ...(opts.decisions ?? []),
    ],
  });
  return { kind: "identification", protocol: protocol.name, run: runInfo(run), ...metrics };
}

export interface OpenSetTuning {
  readonly kind: "open-set-tuning";
  readonly run: RunInfo;
  readonly targetFpir: number;
  /** With `scoreNorm`: the cohort (its people are removed from both protocols, for the raw rule too). */
  readonly cohort?: CohortInfo;
  /** Tuned on the DevTrain people's protocol. */
  readonly devTrain: {
    readonly protocol: string;
    readonly galleryPeople: number;
    readonly mated: number;
    readonly nonMated: number;
    readonly tuned: TunedDecision;
    /** The same tuning with minMargin 0 (a threshold alone), for comparison. */
    readonly thresholdOnly: TunedDecision;
    /** With `scoreNorm`: the normalised rule tuned the same way. */
    readonly norm?: TunedDecision;
  };
  /** The tuned decision applied to the DevTest people's protocol (disjoint people). */
  readonly devTest: {
    readonly protocol: string;
    readonly galleryPeople: number;
    readonly mated: number;
    readonly nonMated: number;
    readonly rates: DecisionCounts;
    readonly thresholdOnlyRates: DecisionCounts;
    /** With `scoreNorm`: the tuned normalised rule on DevTest. */
    readonly normRates?: DecisionCounts;
  };
}

/**
 * Tunes the matcher's open-set decision (threshold + minMargin, max DIR with FPIR <= target) on the LFW
 * identification protocol of the View 1 DevTrain people, and reports it on the DevTest people.
 */
export async function tuneLfwOpenSet(
  opts: ExtractOptions &
    Omit<LfwIdentificationOptions, "people"> & {
      dataDir: string;
      targetFpir?: number;
      margins?: readonly number[];
      /** Also tune the cohort-normalised rule (`Gallery.decide` with `scoreNorm`) with this LFW cohort. */
      scoreNorm?: LfwCohortOptions;
    },
): Promise<OpenSetTuning> {
  const co = opts.scoreNorm ? await lfwCohort(opts.dataDir, opts.minImages ?? 5, opts.scoreNorm, opts) : null;
  const reduce = (p: IdentificationProtocol) => (co ? withoutPeople(p, co.people) : p);
  const train = reduce(await buildLfwIdentification(opts.dataDir, { ...opts, people: "devTrain" }));
  const test = reduce(await buildLfwIdentification(opts.dataDir, { ...opts, people: "devTest" }));
  const a = await searchProtocol(train, opts, co?.cohort);
  const b = await searchProtocol(test, opts, co?.cohort);
  const tuning = {
    ...(opts.targetFpir !== undefined ? { targetFpir: opts.targetFpir } : {}),
    ...(opts.margins ? { margins: opts.margins } : {}),
  };
  const tuned = tuneDecision(a.outcomes, tuning);
  const norm = co ? tuneDecision(a.outcomes, { ...tuning, score: "norm" }) : null;
  const thresholdOnly = tuneDecision(a.outcomes, { targetFpir: tuned.targetFpir, margins: [0] });
  const info = (p: IdentificationProtocol, o: SearchOutcomes) => ({
    protocol: p.name,
    galleryPeople: o.galleryPeople,
    mated: o.mated.length,
    nonMated: o.nonMated.length,
  });
  return {
    kind: "open-set-tuning",
    run: runInfo(b.run),
    targetFpir: tuned.targetFpir,
    ...(co ? { cohort: co.info } : {}),
    devTrain: { ...info(train, a.outcomes), tuned, thresholdOnly, ...(norm ? { norm } : {}) },
    devTest: {
      ...info(test, b.outcomes),
      rates: decisionRates(b.outcomes, tuned.threshold, tuned.minMargin),
      thresholdOnlyRates: decisionRates(b.outcomes, thresholdOnly.threshold, 0),
      ...(norm ? { normRates: decisionRates(b.outcomes, norm.threshold, norm.minMargin, "norm") } : {}),
    },
  };
}

/**
 * LFW open-set identification (see `buildLfwIdentification`). With `scoreNorm`, the outcomes carry normalised
 * scores (decisions with `score: "norm"`, `atFpirNorm`) and the cohort's people are left out of the protocol.
 */
export async function evalLfwIdentify(
  opts: IdentifyOptions & LfwIdentificationOptions & { dataDir: string; scoreNorm?: LfwCohortOptions },
): Promise<IdentificationReport> {
  const co = opts.scoreNorm ? await lfwCohort(opts.dataDir, opts.minImages ?? 5, opts.scoreNorm, opts) : null;
  const protocol = await buildLfwIdentification(opts.dataDir, opts);
  const r = await evalProtocol(co ? withoutPeople(protocol, co.people) : protocol, opts, co?.cohort);
  return co ? { ...r, cohort: co.info } : r;
}

export interface FolderIdentifyOptions extends IdentifyOptions {
  /** `<galleryDir>/<person>/<images>`: every image is a template of that person. */
  galleryDir: string;
  /** `<probesDir>/<person>/<images>`: probes of people not in the gallery count as non-mated. */
  probesDir: string;
  /** Optional extra non-mated probes: `<impostorsDir>/<person>/<images>` or loose images. */
  impostorsDir?: string;
}

/** Open-set identification on folder-per-person sets. No-face fallback defaults to "skip" here. */
export async function evalIdentify(opts: FolderIdentifyOptions): Promise<IdentificationReport> {
  const gallery = new Map<string, string[]>();
  for (const g of await listPersonFolders(opts.galleryDir)) gallery.set(g.personId, [...(gallery.get(g.personId) ?? []), g.path]);
  const probes: { personId: string; path: string }[] = [];
  const impostors: { personId: string; path: string }[] = [];
  for (const p of await listPersonFolders(opts.probesDir)) (gallery.has(p.personId) ? probes : impostors).push(p);
  if (opts.impostorsDir) {
    for (const p of await listPersonFolders(opts.impostorsDir, { allowLoose: true })) {
      if (gallery.has(p.personId))
        throw new EvaluationError("dataset", `impostor folder ${p.personId} has the name of an enrolled person (${p.path})`);
      impostors.push(p);
    }
  }
  return evalProtocol({ name: "folders", gallery, probes, impostors }, { noFace: "skip", ...opts });
}

/** JSON text of a report (the ROC point list is left out: it goes to the SVG). */
export function reportToJson(report: unknown): string {
  return `${JSON.stringify(report, (k, v) => (k === "roc" ? undefined : typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}
