/**
 * Peer benchmark: this project's face pipeline (@persona/vision: YuNet and BlazeFace on onnxruntime-node, fr_feature
 * embeddings) against the JavaScript libraries a TypeScript developer would pick instead (@vladmandic/face-api and
 * @vladmandic/human, on tfjs's wasm backend), plus OpenCV's own C++ run of the YuNet network, on the same images:
 *
 * - detection ms per 1280x720 frame (4 frames made from the crowd photos and LFW, deterministic) and faces found;
 * - faces found on the 23 crowd photos (no ground truth: more is not always better, false positives count too);
 * - embedding ms per face and ms per LFW image (detection + embedding);
 * - LFW verification on a fixed subset of the official pairs (first N matched + first N mismatched of View 2's fold 1):
 *   10-fold cross-validated accuracy on the subset (pair k in fold k % 10) and best-threshold accuracy.
 *
 *   make bench-peers
 *   node --import tsx bench/peers/peers.bench.ts [--pairs 300] [--peer-pairs 50] [--runs 5] [--warmup 2] [--skip face-api,human,opencv]
 *
 * Every library runs single-threaded (onnxruntime: 1 intra-op thread, @persona/vision's default; tfjs wasm has no
 * threads in Node; OpenCV: cv2.setNumThreads(1)), each peer in its own process, one after another. Timings are the
 * median of `runs` calls per frame after `warmup` calls. On the shared 2-core machines compare ratios, not absolutes.
 * The OpenCV reference needs Debian's python3-opencv (`apt-get install python3-opencv`); without it, it is skipped.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  alignFace,
  decodeImage,
  type Detection,
  Embedder,
  encodePng,
  FaceDetector,
  type DetectOptions,
  dot,
  type RgbImage,
  resizeRgb,
  resolveYuNet,
  sharedModelsDir,
} from "@persona/vision";
import {
  centralBox,
  crowdImages,
  datasetsDir,
  type DetectorRow,
  type EmbedRow,
  lfwPairs,
  median,
  medianMs,
  packageVersion,
  type PeerJob,
  type PeerReport,
  REPO_DIR,
  scorePairs,
  verification,
} from "./common.ts";

const startedAt = performance.now();
const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "300" },
    "peer-pairs": { type: "string", default: "50" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    skip: { type: "string", default: "" },
  },
});
const PAIRS = Number(values.pairs);
const PEER_PAIRS = Math.min(Number(values["peer-pairs"]), PAIRS);
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);
const PEER_RUNS = Math.max(1, Math.ceil(RUNS / 2)); // the tfjs peers are ~10x slower per call
const skip = new Set(values.skip.split(",").filter(Boolean));
const PYTHON = "/usr/bin/python3";
const HERE = fileURLToPath(new URL(".", import.meta.url));

const root = datasetsDir();
if (!root) {
  console.error("bench-peers: the shared data sets were not found (PERSONA_DATASETS, or ../shared/datasets)");
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------------------
// Machine and versions

function opencvVersion(): string | null {
  if (!existsSync(PYTHON)) return null;
  try {
    return execFileSync(PYTHON, ["-c", "import cv2; print(cv2.__version__)"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}
const cv = skip.has("opencv") ? null : opencvVersion();
const v = (name: string) => packageVersion(name) ?? "not installed";
console.log("# Face pipeline vs peers (make bench-peers)\n");
console.log(`machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)}`);
console.log(
  `versions: node ${process.version}, onnxruntime-node ${v("onnxruntime-node")}, sharp ${v("sharp")}, ` +
    `@vladmandic/face-api ${v("@vladmandic/face-api")}, @vladmandic/human ${v("@vladmandic/human")}, ` +
    `@tensorflow/tfjs-core ${v("@tensorflow/tfjs-core")} + tfjs-backend-wasm ${v("@tensorflow/tfjs-backend-wasm")}, ` +
    `OpenCV (python3-opencv) ${cv ?? "not installed"}`,
);
console.log(
  `timing: median of ${RUNS} runs per frame after ${WARMUP} warm-up (tfjs peers: ${PEER_RUNS} after 1), single thread everywhere`,
);

// ---------------------------------------------------------------------------------------------------------------
// The 1280x720 frames: real photos letterboxed or tiled (black background), written as PNG for every runner.

const W = 1280;
const H = 720;
async function compose(cells: { path: string; x: number; y: number; w: number; h: number }[]): Promise<RgbImage> {
  const data = new Uint8Array(W * H * 3);
  for (const c of cells) {
    const img = await decodeImage(c.path);
    const s = Math.min(c.w / img.width, c.h / img.height);
    const rw = Math.max(1, Math.round(img.width * s));
    const rh = Math.max(1, Math.round(img.height * s));
    const r = rw === img.width && rh === img.height ? img : await resizeRgb(img, rw, rh);
    const ox = c.x + Math.floor((c.w - rw) / 2);
    const oy = c.y + Math.floor((c.h - rh) / 2);
    for (let y = 0; y < rh; y++) data.set(r.data.subarray(y * rw * 3, (y + 1) * rw * 3), ((oy + y) * W + ox) * 3);
  }
  return { data, width: W, height: H };
}
function grid(paths: string[], cols: number, rows: number) {
  const w = W / cols;
  const h = H / rows;
  return paths.slice(0, cols * rows).map((path, i) => ({ path, x: (i % cols) * w, y: Math.floor(i / cols) * h, w, h }));
}
const crowd = crowdImages(root);
const lfwPeople = readdirSync(join(root, "lfw"), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const lfwFirst = (from: number, n: number) => lfwPeople.slice(from, from + n).map((p) => join(root, "lfw", p, `${p}_0001.jpg`));
const crowdByName = (n: string) => crowd.find((f) => f.endsWith(`/${n}`)) ?? (crowd[0] as string);
const frameSpecs: { label: string; cells: { path: string; x: number; y: number; w: number; h: number }[] }[] = [
  { label: "A: crowd ulfd_imgs_17 letterboxed (hundreds of tiny faces)", cells: grid([crowdByName("ulfd_imgs_17.jpg")], 1, 1) },
  { label: "B: 2x2 mosaic of the first 4 crowd photos", cells: grid(crowd.slice(0, 4), 2, 2) },
  { label: "C: 5x3 grid of LFW photos (15 faces, ~100 px)", cells: grid(lfwFirst(0, 15), 5, 3) },
  { label: "D: 10x6 grid of LFW photos (60 faces, ~50 px)", cells: grid(lfwFirst(15, 60), 10, 6) },
];
const work = mkdtempSync(join(tmpdir(), "persona-bench-peers-"));
const framePaths: string[] = [];
const frames: RgbImage[] = [];
for (const [i, f] of frameSpecs.entries()) {
  const img = await compose(f.cells);
  const p = join(work, `frame-${i}.png`);
  writeFileSync(p, await encodePng(img));
  framePaths.push(p);
  frames.push(img);
}
console.log(`\nframes (1280x720): ${frameSpecs.map((f) => f.label).join("; ")}`);
console.log(`crowd: ${crowd.length} photos at their own size (${root}/crowd)`);

// ---------------------------------------------------------------------------------------------------------------
// This project: @persona/vision

const detectorRows: DetectorRow[] = [];
const embedRows: EmbedRow[] = [];
const notes: string[] = [];
const yunet = resolveYuNet(sharedModelsDir());
if (!yunet.path) notes.push(`YuNet skipped: ${yunet.reason}`);

const ours: { kind: "yunet" | "blazeface"; detect: DetectOptions; label: string }[] = [
  ...(yunet.path
    ? [
        {
          kind: "yunet" as const,
          detect: { minFaceSize: 32 },
          label: "YuNet, minFaceSize 32 (640x384 + 320 px large-face pass)",
        },
        {
          kind: "yunet" as const,
          detect: { minFaceSize: 16 },
          label: "YuNet, minFaceSize 16 (1280x736 + 320 px large-face pass)",
        },
      ]
    : []),
  { kind: "blazeface", detect: { minFaceSize: 32 }, label: "BlazeFace back, minFaceSize 32 (level mode)" },
];
const detectorsByKind = new Map<string, FaceDetector>();
for (const o of ours) {
  let det = detectorsByKind.get(o.kind);
  if (!det) {
    det = await FaceDetector.create({ detector: o.kind });
    detectorsByKind.set(o.kind, det);
  }
  const d = det;
  const totals: number[] = [];
  const infers: number[] = [];
  const frameFaces: number[] = [];
  for (const frame of frames) {
    let n = 0;
    for (let i = 0; i < WARMUP; i++) await d.detectDetailed(frame, o.detect);
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = await d.detectDetailed(frame, o.detect);
      totals.push(performance.now() - t0);
      infers.push(r.timings.inferenceMs);
      n = r.detections.length;
    }
    frameFaces.push(n);
  }
  let crowdFaces = 0;
  for (const f of crowd) crowdFaces += (await d.detect(await decodeImage(f), o.detect)).length;
  detectorRows.push({
    lib: "persona (ORT)",
    model: o.label,
    frameMs: median(totals),
    frameInferMs: median(infers),
    frameFaces,
    crowdFaces,
  });
}

// Embedding: fr_feature with flip (2 runs per face), aligned from the detector's keypoints.
const embedder = await Embedder.create({ model: "fr_feature", flip: true });
const mainKind = yunet.path ? "yunet" : "blazeface";
{
  const img = await decodeImage(lfwFirst(0, 1)[0] as string);
  const det = detectorsByKind.get(mainKind) as FaceDetector;
  const face = (await det.detect(img))[0] as Detection;
  const faceMs = await medianMs(3, 20, () => embedder.embedFaces([{ image: img, keypoints: face.keypoints }]));
  const chip = alignFace(img, face.keypoints, embedder.spec.template).chip;
  const oneRunMs = await medianMs(3, 20, () => embedder.embed([chip], { flip: false }));
  notes.push(
    `persona embed ms/face = embedFaces (alignment + fr_feature on the chip and its mirror); one fr_feature run alone: ${oneRunMs.toFixed(1)} ms`,
  );
  const allPairs = lfwPairs(root, PAIRS);
  const subsetIdx = allPairs.map((_, i) => i).filter((i) => i % PAIRS < PEER_PAIRS);
  for (const kind of yunet.path ? (["yunet", "blazeface"] as const) : (["blazeface"] as const)) {
    const d = detectorsByKind.get(kind) as FaceDetector;
    const pairs = kind === mainKind ? allPairs : subsetIdx.map((i) => allPairs[i] as (typeof allPairs)[number]);
    const {
      embeddings: embs,
      imageMs,
      scores,
    } = await scorePairs(
      pairs,
      async (image) => {
        const t0 = performance.now();
        const dets = await d.detect(image);
        const i = centralBox(
          dets.map((x) => x.box),
          image.width,
          image.height,
        );
        const embedding =
          i >= 0 ? ((await embedder.embedFaces([{ image, keypoints: (dets[i] as Detection).keypoints }]))[0] ?? null) : null;
        return { ms: performance.now() - t0, embedding };
      },
      dot, // unit vectors: cosine similarity
    );
    const same = pairs.map((p) => p.same);
    const row = {
      lib: "persona (ORT)",
      dims: embedder.spec.dims,
      embedMs: faceMs,
      embedNote: "alignment + fr_feature x2 (flip)",
      imageMs: median(imageMs),
      noFace: [...embs.values()].filter((e) => e === null).length,
    };
    const model = `${kind === "yunet" ? "YuNet" : "BlazeFace"} + fr_feature flip (cosine)${kind === mainKind ? "" : ", peers' subset"}`;
    embedRows.push({ ...row, model, pairs: pairs.length, verification: verification(scores, same) });
    if (kind === mainKind && PEER_PAIRS < PAIRS) {
      const sub = subsetIdx;
      const noFace = new Set(sub.flatMap((i) => [allPairs[i]?.a, allPairs[i]?.b]).filter((f) => f && embs.get(f) === null)).size;
      embedRows.push({
        ...row,
        model: `${model}, peers' subset`,
        pairs: sub.length,
        noFace,
        verification: verification(
          sub.map((i) => scores[i] as number),
          sub.map((i) => same[i] as boolean),
        ),
      });
    }
  }
}
await embedder.dispose();
for (const d of detectorsByKind.values()) await d.dispose();

// ---------------------------------------------------------------------------------------------------------------
// Peers, each in its own process (tfjs state, wasm memory and crashes stay there)

async function runPeer(name: string, file: string): Promise<PeerReport> {
  const out = join(work, `${name}.json`);
  const job: PeerJob = {
    datasets: root as string,
    frames: framePaths,
    crowd,
    pairsPerSide: PEER_PAIRS,
    warmup: 1,
    runs: PEER_RUNS,
    out,
  };
  const fail = (why: string): PeerReport => ({
    lib: name,
    version: v(`@vladmandic/${name}`),
    backend: "-",
    detectors: [],
    embedders: [],
    skipped: why,
  });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(HERE, file), JSON.stringify(job)], {
      cwd: REPO_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    child.stderr.on("data", (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (existsSync(out)) {
        resolve(JSON.parse(readFileSync(out, "utf8")) as PeerReport);
        return;
      }
      const last = log.trim().split("\n").slice(-3).join(" | ");
      resolve(fail(signal ? `killed (${signal}) after 300 s` : `exited with code ${code} without a report: ${last}`));
    });
  });
}

const peerReports: PeerReport[] = [];
for (const [name, file] of [
  ["face-api", "faceapi.peer.ts"],
  ["human", "human.peer.ts"],
] as const) {
  if (skip.has(name)) continue;
  const r = await runPeer(name, file);
  peerReports.push(r);
  detectorRows.push(...r.detectors);
  embedRows.push(...r.embedders);
}

// ---------------------------------------------------------------------------------------------------------------
// OpenCV's YuNet (C++ via Debian's python3-opencv)

interface OpenCvResult {
  version: string;
  faceDetectorYN: Record<string, string>;
  dnnError?: string;
  rows: { input: string; ms: number; inferMs: number; frameFaces: number[]; crowdFaces: number | null }[];
}
let opencvLine = "";
if (skip.has("opencv")) opencvLine = "OpenCV reference: skipped (--skip opencv)";
else if (!cv) opencvLine = "OpenCV reference: skipped: python3-opencv is not installed (apt-get install python3-opencv)";
else {
  const modelDir = join(sharedModelsDir(), "yunet");
  const jobFile = join(work, "opencv-job.json");
  const outFile = join(work, "opencv.json");
  writeFileSync(jobFile, JSON.stringify({ modelDir, frames: framePaths, crowd, warmup: WARMUP, runs: RUNS }));
  try {
    execFileSync(PYTHON, [join(HERE, "opencv_yunet.py"), jobFile, outFile], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 300_000,
    });
    const r = JSON.parse(readFileSync(outFile, "utf8")) as OpenCvResult;
    const why: Record<string, string> = {
      "face_detection_yunet_2023mar.onnx":
        "4.6's FaceDetectorYN decodes the 2022mar outputs (loc/conf/iou); the 2023mar per-stride outputs need >= 4.8",
      "yunet_s_dynamic.onnx": "4.6's ONNX importer rejects its dynamic Shape ops",
    };
    const fdyn = Object.entries(r.faceDetectorYN)
      .map(([f, s]) => `${f}: ${s === "ok" ? "loads" : `fails (${s}; ${why[f] ?? ""})`}`)
      .join("; ");
    opencvLine = `OpenCV ${r.version} cv2.FaceDetectorYN: ${fdyn}.`;
    if (r.dnnError) opencvLine += ` cv2.dnn cannot load face_detection_yunet_2023mar.onnx either: ${r.dnnError}`;
    else {
      opencvLine +=
        " So the OpenCV rows run face_detection_yunet_2023mar.onnx (the same network) with cv2.dnn (C++) and decode it as 4.8's FaceDetectorYN does (numpy, score 0.6, NMS 0.3).";
      for (const row of r.rows) {
        detectorRows.push({
          lib: `OpenCV ${r.version} dnn`,
          model: `YuNet 2023mar, one pass at ${row.input}`,
          frameMs: row.ms,
          frameInferMs: row.inferMs,
          frameFaces: row.frameFaces,
          crowdFaces: row.crowdFaces,
        });
      }
    }
  } catch (e) {
    opencvLine = `OpenCV reference: the helper failed: ${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim().split("\n").slice(-1)[0]}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const f1 = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? "-" : x.toFixed(1));
const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "-" : `${(100 * x).toFixed(2)}%`);
function table(head: string[], rows: string[][]): void {
  console.log(`| ${head.join(" | ")} |`);
  console.log(`| ${head.map(() => "---").join(" | ")} |`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

console.log(`\n## Detection\n`);
table(
  [
    "library",
    "detector",
    "ms / 1280x720 frame",
    "of which inference",
    "faces on frames A/B/C/D",
    `faces on ${crowd.length} crowd photos`,
  ],
  detectorRows.map((r) => [
    r.lib,
    r.model + (r.note ? `; ${r.note}` : ""),
    f1(r.frameMs),
    r.frameInferMs === undefined ? "-" : f1(r.frameInferMs),
    r.frameFaces.join("/") || "-",
    r.crowdFaces === null ? "-" : String(r.crowdFaces),
  ]),
);
console.log(
  "\nFrames C and D hold 15 and 60 LFW photos (one subject each; some also show other people, partly). The crowd photos " +
    "have no ground truth: a higher count is not always better (false positives count too).",
);

console.log(`\n## Embedding and LFW verification\n`);
console.log(
  `Pairs: the first N matched + first N mismatched pairs of lfw/pairs.txt (fold 1 of View 2): N = ${PAIRS} for this project's ` +
    `main row, N = ${PEER_PAIRS} for the peers (and this project on the same subset). Accuracy: 10-fold cross-validation on the ` +
    "subset (threshold chosen on 9 folds, pair k in fold k % 10), and the single best threshold on the whole subset. An image " +
    "with no face makes its pairs count as 'different'. The subject is the face nearest the image centre.\n",
);
table(
  [
    "library",
    "pipeline",
    "dims",
    "embed ms / face",
    "ms / LFW image",
    "pairs",
    "images without a face",
    "accuracy (10-fold)",
    "accuracy (best thr.)",
    "best thr., pairs with both faces",
  ],
  embedRows.map((r) => [
    r.lib,
    r.model,
    String(r.dims),
    `${f1(r.embedMs)} (${r.embedNote})`,
    f1(r.imageMs),
    String(r.pairs),
    String(r.noFace),
    pct(r.verification?.tenFold),
    pct(r.verification?.best),
    r.verification ? `${pct(r.verification.foundBest)} of ${r.verification.foundPairs}` : "-",
  ]),
);

console.log("\n## Notes\n");
for (const p of peerReports) {
  if (p.skipped) console.log(`- ${p.lib} ${p.version}: did not run: ${p.skipped}`);
  else console.log(`- ${p.lib} ${p.version}: ${p.backend}; models from its npm package (node_modules), loaded by file path`);
  for (const r of p.embedders) if (r.note) console.log(`  - ${r.note}`);
  for (const n of p.notes ?? []) console.log(`  - ${n}`);
}
for (const n of notes) console.log(`- ${n}`);
console.log(`- ${opencvLine}`);
console.log(
  `\ntotal run time: ${((performance.now() - startedAt) / 1000).toFixed(0)} s (load average now ${loadavg()[0]?.toFixed(2)})`,
);
rmSync(work, { recursive: true, force: true });
