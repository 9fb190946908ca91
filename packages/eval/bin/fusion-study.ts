/**
 * Open-set identification on all of LFW (one enrolled image per person with >= 5 images) for score-level fusions of
 * embeddings: dlib ResNet-29 aligned from BlazeFace's 4 keypoints ("dlib") or from the 68-point landmark net
 * ("lm68"), both with the multi-crop ensemble and flip, and faceres (flip). A fusion concatenates the unit vectors
 * scaled by sqrt(weight), so its cosine is the weighted sum of the parts' cosines. Prints rank-1 and DIR at FPIR 1%
 * with a threshold on the raw score and on the AS-norm score (cohort: 1,000 images of half of the never-enrolled
 * DevTrain people, who leave the impostor set, as `eval-lfw.ts --score-norm as-norm` does). Thresholds are set on the
 * same protocol (curve quality, not a tuned decision).
 *
 *   node --import tsx packages/eval/bin/fusion-study.ts [--data DIR] [--cohort-size N] [--cohort-seed N]
 *
 * Embeddings come from the eval cache (data/cache); a cold run computes ~13k images x 3 settings (~40 min on 2 cores).
 */
import { parseArgs } from "node:util";
import { ScoreCohort } from "@persona/vision";
import {
  buildLfwIdentification,
  DEFAULT_CACHE_DIR,
  type ExtractOptions,
  type ExtractRun,
  extractEmbeddings,
  identificationMetrics,
  searchOutcomes,
} from "../src/index.ts";
import { chooseCohort, withoutPeople } from "../src/cohort.ts";
import { lfwImagePath, readLfwPeople } from "../src/lfw.ts";
import { findLfwDir } from "../src/test-support.ts";

const { values: a } = parseArgs({
  options: {
    data: { type: "string" },
    "cohort-size": { type: "string", default: "1000" },
    "cohort-seed": { type: "string", default: "1" },
  },
});
const dir = a.data ?? findLfwDir();
if (!dir) {
  console.error("fusion-study: LFW not found (set PERSONA_DATASETS or pass --data DIR)");
  process.exit(2);
}
const choice = chooseCohort(await readLfwPeople(dir, "devTrain"), 5, Number(a["cohort-size"]), Number(a["cohort-seed"]));
const proto = withoutPeople(await buildLfwIdentification(dir, {}), new Set(choice.people));
const cohortPaths = choice.images.map((i) => lfwImagePath(dir, i.personId, i.index));
const paths = [
  ...new Set([
    ...cohortPaths,
    ...[...proto.gallery.values()].flat(),
    ...proto.probes.map((p) => p.path),
    ...proto.impostors.map((p) => p.path),
  ]),
];

const SETTINGS: Record<string, ExtractOptions> = {
  dlib: { model: "dlib-resnet29", ensemble: true, flip: true },
  lm68: { model: "dlib-resnet29", ensemble: true, flip: true, landmarks: true },
  faceres: { model: "faceres", flip: true },
};
const runs: Record<string, ExtractRun> = {};
for (const [name, o] of Object.entries(SETTINGS)) {
  runs[name] = await extractEmbeddings(paths, { ...o, cacheDir: DEFAULT_CACHE_DIR, workers: 2 });
  process.stderr.write(`${name}: ${paths.length} images (${runs[name].stats.imagesPerSecond.toFixed(1)} computed/s)\n`);
}

type Parts = readonly (readonly [string, number])[];
function evaluate(parts: Parts): string {
  const dims = parts.reduce((n, [k]) => n + (runs[k] as ExtractRun).settings.model.dims, 0);
  const vec = (p: string): Float32Array | null => {
    const out = new Float32Array(dims);
    let off = 0;
    for (const [k, w] of parts) {
      const v = (runs[k] as ExtractRun).embeddings.get(p)?.vector;
      if (!v) return null;
      let n = 0;
      for (let i = 0; i < v.length; i++) n += (v[i] as number) ** 2;
      const s = Math.sqrt(w / n);
      for (let i = 0; i < v.length; i++) out[off + i] = (v[i] as number) * s;
      off += v.length;
    }
    return out;
  };
  const cohort = new ScoreCohort(
    dims,
    cohortPaths.map(vec).filter((v): v is Float32Array => v !== null),
  );
  const o = searchOutcomes({
    dims,
    cohort,
    gallery: [...proto.gallery].flatMap(([personId, ps]) => ps.map((p) => ({ personId, vector: vec(p) }))),
    probes: proto.probes.map((p) => ({ personId: p.personId, vector: vec(p.path) })),
    impostors: proto.impostors.map((p) => ({ personId: p.personId, vector: vec(p.path) })),
  });
  const m = identificationMetrics(o, { fpirTargets: [0.01] });
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return `| ${pct(m.rank1)} | ${pct((m.atFpir[0] as { dir: number }).dir)} | ${pct((m.atFpirNorm[0] as { dir: number }).dir)} |`;
}

const FUSIONS: readonly (readonly [string, Parts])[] = [
  ["dlib", [["dlib", 1]]],
  ["lm68", [["lm68", 1]]],
  [
    "dlib + lm68 (0.5 / 0.5)",
    [
      ["dlib", 0.5],
      ["lm68", 0.5],
    ],
  ],
  ["faceres", [["faceres", 1]]],
  [
    "dlib + faceres (0.9 / 0.1)",
    [
      ["dlib", 0.9],
      ["faceres", 0.1],
    ],
  ],
  [
    "dlib + faceres (0.8 / 0.2)",
    [
      ["dlib", 0.8],
      ["faceres", 0.2],
    ],
  ],
  [
    "lm68 + faceres (0.9 / 0.1)",
    [
      ["lm68", 0.9],
      ["faceres", 0.1],
    ],
  ],
  [
    "dlib + lm68 + faceres (0.45 / 0.45 / 0.1)",
    [
      ["dlib", 0.45],
      ["lm68", 0.45],
      ["faceres", 0.1],
    ],
  ],
];
console.log(
  `all LFW: ${proto.gallery.size} enrolled, ${proto.probes.length} mated, ${proto.impostors.length} non-mated probes; cohort ${cohortPaths.length}\n`,
);
console.log("| fusion | rank-1 | DIR @ FPIR 1%, raw score | DIR @ FPIR 1%, as-norm |\n| --- | --- | --- | --- |");
for (const [name, parts] of FUSIONS) console.log(`| ${name} ${evaluate(parts)}`);
