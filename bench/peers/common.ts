/**
 * Shared by the peer benchmark's orchestrator (peers.bench.ts) and its peer runners (*.peer.ts): data set paths, the
 * fixed LFW pair subset, timing, a detector's and an embedder's measurements, verification accuracy, and the JSON report
 * a peer runner writes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findDatasetsDir } from "@persona/runtime";
import { timeRuns } from "@persona/testing";
import { decodeImage, type RgbImage } from "@persona/vision";

export const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const NODE_MODULES = join(REPO_DIR, "node_modules");

/** Version of an installed npm package (read from its package.json, which `exports` may hide), or null. */
export function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(NODE_MODULES, name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

/** The shared data sets (`findDatasetsDir` of @persona/runtime) holding LFW with pairs.txt and the crowd photos, or null. */
export function datasetsDir(): string | null {
  return findDatasetsDir((d) => existsSync(join(d, "lfw", "pairs.txt")) && existsSync(join(d, "crowd")));
}

/** The crowd photos, sorted by name. */
export function crowdImages(root: string): string[] {
  const dir = join(root, "crowd");
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith(".jpg"))
    .sort()
    .map((f) => join(dir, f));
}

export function lfwImage(root: string, person: string, n: number): string {
  return join(root, "lfw", person, `${person}_${String(n).padStart(4, "0")}.jpg`);
}

export interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
}

/**
 * The first `perSide` matched and the first `perSide` mismatched pairs of the official LFW View 2 `pairs.txt`
 * (its first fold holds 300 of each), matched pairs first.
 */
export function lfwPairs(root: string, perSide: number): Pair[] {
  const lines = readFileSync(join(root, "lfw", "pairs.txt"), "utf8").split(/\r?\n/);
  const [folds, n] = (lines[0] ?? "").trim().split(/\s+/).map(Number) as [number, number];
  if (!(folds >= 1 && n >= 1)) throw new Error("lfw/pairs.txt: bad header");
  if (perSide > n) throw new RangeError(`at most ${n} pairs per side in a fold, asked ${perSide}`);
  const matched: Pair[] = [];
  const mismatched: Pair[] = [];
  for (const line of lines.slice(1, 1 + 2 * n)) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3) {
      const [p, i, j] = f as [string, string, string];
      matched.push({ a: lfwImage(root, p, Number(i)), b: lfwImage(root, p, Number(j)), same: true });
    } else if (f.length === 4) {
      const [p, i, q, j] = f as [string, string, string, string];
      mismatched.push({ a: lfwImage(root, p, Number(i)), b: lfwImage(root, q, Number(j)), same: false });
    }
  }
  return [...matched.slice(0, perSide), ...mismatched.slice(0, perSide)];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The median of `runs` timed calls of `f` after `warmup` untimed ones (`timeRuns` of @persona/testing), in ms. */
export async function medianMs(warmup: number, runs: number, f: () => unknown): Promise<number> {
  return median(await timeRuns(warmup, runs, f));
}

/** A tfjs peer's `backend`: tfjs's version, its backend, and whether wasm's SIMD and threads are on. */
export async function tfjsBackend(tfjs: {
  env(): { getAsync(flag: string): Promise<unknown> };
  getBackend(): string;
}): Promise<string> {
  const simd = await tfjs.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tfjs.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  return `tfjs ${packageVersion("@tensorflow/tfjs-core")} ${tfjs.getBackend()} (SIMD ${simd ? "on" : "off"}, threads ${threads ? "on" : "off"})`;
}

/** Accuracy at threshold t (same when score >= t). */
function accuracyAt(scores: readonly number[], same: readonly boolean[], t: number, idx: readonly number[]): number {
  let ok = 0;
  for (const i of idx) if ((scores[i] as number) >= t === same[i]) ok++;
  return ok / idx.length;
}

/** The threshold with the best accuracy on `idx` (midpoints between sorted scores; ties: the first). */
function bestThreshold(scores: readonly number[], same: readonly boolean[], idx: readonly number[]): { t: number; acc: number } {
  const sorted = [...new Set(idx.map((i) => scores[i] as number).filter(Number.isFinite))].sort((a, b) => a - b);
  const cands = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let k = 0; k + 1 < sorted.length; k++) cands.push(((sorted[k] as number) + (sorted[k + 1] as number)) / 2);
  let best = { t: Number.NaN, acc: -1 };
  for (const t of cands) {
    const acc = accuracyAt(scores, same, t, idx);
    if (acc > best.acc) best = { t, acc };
  }
  return best;
}

export interface Verification {
  /** Accuracy at the single best threshold on the whole subset (optimistic). */
  readonly best: number;
  readonly threshold: number;
  /** 10-fold cross-validated accuracy on the subset: pair k is in fold k % 10; threshold from the other 9. */
  readonly tenFold: number;
  /** Pairs where both images had a face, and the best-threshold accuracy on those alone (the embedding's share). */
  readonly foundPairs: number;
  readonly foundBest: number;
}

/** Verification accuracy of `scores` (higher = more alike; -Infinity = no face, always "different"). */
export function verification(scores: readonly number[], same: readonly boolean[]): Verification {
  const all = scores.map((_, i) => i);
  const b = bestThreshold(scores, same, all);
  let ok = 0;
  for (let fold = 0; fold < 10; fold++) {
    const test = all.filter((i) => i % 10 === fold);
    if (test.length === 0) continue;
    const train = all.filter((i) => i % 10 !== fold);
    const { t } = bestThreshold(scores, same, train);
    ok += accuracyAt(scores, same, t, test) * test.length;
  }
  const found = all.filter((i) => Number.isFinite(scores[i] as number));
  const foundBest = found.length > 0 ? bestThreshold(scores, same, found).acc : Number.NaN;
  return { best: b.acc, threshold: b.t, tenFold: ok / all.length, foundPairs: found.length, foundBest };
}

/** Index of the box whose centre is nearest the image centre (the LFW subject), or -1. */
export function centralBox(
  boxes: readonly { x: number; y: number; width: number; height: number }[],
  W: number,
  H: number,
): number {
  let best = -1;
  let bestD = Number.POSITIVE_INFINITY;
  for (const [i, b] of boxes.entries()) {
    const d = (b.x + b.width / 2 - W / 2) ** 2 + (b.y + b.height / 2 - H / 2) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** One detector row of the table. */
export interface DetectorRow {
  readonly lib: string;
  /** Model and the settings that matter (input size, minimum face). */
  readonly model: string;
  /** Median ms per 1280x720 frame, or null. */
  readonly frameMs: number | null;
  /** Of which model inference, when the library reports it. */
  readonly frameInferMs?: number | null;
  /** Faces found on each benchmark frame. */
  readonly frameFaces: readonly number[];
  /** Faces found on the crowd photos (sum), or null. */
  readonly crowdFaces: number | null;
  readonly note?: string;
}

/** One embedding row of the table. */
export interface EmbedRow {
  readonly lib: string;
  /** Detector + embedder (+ metric). */
  readonly model: string;
  readonly dims: number;
  /** Median ms to embed one face (what it covers: `embedNote`). */
  readonly embedMs: number | null;
  readonly embedNote: string;
  /** Median ms per LFW image from decoded pixels to the subject's embedding (detection included). */
  readonly imageMs: number | null;
  /** Matched + mismatched pairs evaluated. */
  readonly pairs: number;
  /** Images of those pairs where no face was found (their pairs count as "different"). */
  readonly noFace: number;
  readonly verification: Verification | null;
  readonly note?: string;
}

/** What a peer runner writes (JSON) to the file the orchestrator names. */
export interface PeerReport {
  readonly lib: string;
  readonly version: string;
  readonly backend: string;
  readonly detectors: readonly DetectorRow[];
  readonly embedders: readonly EmbedRow[];
  /** Set when the peer could not run at all: why. */
  readonly skipped?: string;
  readonly notes?: readonly string[];
}

/** What the orchestrator hands a peer runner (JSON in argv[2]). */
export interface PeerJob {
  readonly datasets: string;
  /** 1280x720 PNG frames. */
  readonly frames: readonly string[];
  readonly crowd: readonly string[];
  /** LFW pairs per side for this peer. */
  readonly pairsPerSide: number;
  readonly warmup: number;
  readonly runs: number;
  /** Where to write the PeerReport. */
  readonly out: string;
}

/** A library's input made from decoded pixels (a tensor), released with `dispose`. */
export interface PeerInput {
  dispose(): void;
}

/**
 * A detector's share of the table: the median time of `count` per benchmark frame (`job.warmup` + `job.runs` runs
 * each), the faces it finds on each frame, and on the crowd photos (summed).
 */
export async function detectorCounts<I extends PeerInput>(
  job: PeerJob,
  frames: readonly RgbImage[],
  toInput: (img: RgbImage) => I,
  count: (input: I) => Promise<number>,
): Promise<Pick<DetectorRow, "frameMs" | "frameFaces" | "crowdFaces">> {
  const times: number[] = [];
  const frameFaces: number[] = [];
  for (const frame of frames) {
    const t = toInput(frame);
    let n = 0;
    times.push(
      ...(await timeRuns(job.warmup, job.runs, async () => {
        n = await count(t);
      })),
    );
    frameFaces.push(n);
    t.dispose();
  }
  let crowdFaces = 0;
  for (const f of job.crowd) {
    const t = toInput(await decodeImage(f));
    crowdFaces += await count(t);
    t.dispose();
  }
  return { frameMs: median(times), frameFaces, crowdFaces };
}

/**
 * Every image of `pairs` once through `embedSubject` (its `ms` and the LFW subject's embedding, null when it found no
 * face), and each pair's score by `similarity` (no face: -Infinity, always "different").
 */
export async function scorePairs<E>(
  pairs: readonly Pair[],
  embedSubject: (img: RgbImage) => Promise<{ ms: number; embedding: E | null }>,
  similarity: (a: E, b: E) => number,
): Promise<{ embeddings: Map<string, E | null>; imageMs: number[]; scores: number[] }> {
  const embeddings = new Map<string, E | null>();
  const imageMs: number[] = [];
  for (const p of pairs) {
    for (const f of [p.a, p.b]) {
      if (embeddings.has(f)) continue;
      const { ms, embedding } = await embedSubject(await decodeImage(f));
      imageMs.push(ms);
      embeddings.set(f, embedding);
    }
  }
  const scores = pairs.map((p) => {
    const a = embeddings.get(p.a);
    const b = embeddings.get(p.b);
    return a && b ? similarity(a, b) : Number.NEGATIVE_INFINITY;
  });
  return { embeddings, imageMs, scores };
}

/**
 * An embedder's LFW share of the table: every image of the job's pairs once through `embedFaces` (its `ms`: from the
 * library's input to every face's embedding), the face nearest the centre taken; a pair scores -distance (no face:
 * -Infinity, always "different").
 */
export async function lfwVerification<E>(
  job: PeerJob,
  embedFaces: (
    img: RgbImage,
  ) => Promise<{ ms: number; faces: { box: { x: number; y: number; width: number; height: number }; embedding: E }[] }>,
  distance: (a: E, b: E) => number,
): Promise<Pick<EmbedRow, "imageMs" | "pairs" | "noFace" | "verification">> {
  const pairs = lfwPairs(job.datasets, job.pairsPerSide);
  const { embeddings, imageMs, scores } = await scorePairs(
    pairs,
    async (img) => {
      const { ms, faces } = await embedFaces(img);
      const i = centralBox(
        faces.map((r) => r.box),
        img.width,
        img.height,
      );
      return { ms, embedding: i >= 0 ? (faces[i] as (typeof faces)[number]).embedding : null };
    },
    (a, b) => -distance(a, b),
  );
  return {
    imageMs: median(imageMs),
    pairs: pairs.length,
    noFace: [...embeddings.values()].filter((e) => e === null).length,
    verification: verification(
      scores,
      pairs.map((p) => p.same),
    ),
  };
}

/**
 * A peer runner's start: its job (argv[2]), the library's installed version, and `report` / `fail` writing the
 * PeerReport to job.out (`fail`: the peer could not run at all, with why).
 */
export function peerRunner(lib: string, pkg: string) {
  const job = JSON.parse(process.argv[2] ?? "{}") as PeerJob;
  const version = packageVersion(pkg) ?? "?";
  const report = (r: Omit<PeerReport, "lib" | "version">) =>
    writeFileSync(job.out, JSON.stringify({ lib, version, ...r } satisfies PeerReport));
  const fail = (backend: string, e: unknown) =>
    report({ backend, detectors: [], embedders: [], skipped: `could not run: ${(e as Error)?.message ?? e}` });
  return { job, version, report, fail };
}
