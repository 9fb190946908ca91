/**
 * Recognition benchmark: embedding per model at batch 1 and 8 (1 onnxruntime thread and onnxruntime's default
 * thread count; plain chips, plus one row with flip and, for dlib, one with the default ensemble + flip), and
 * brute-force gallery matching against 10k and 100k templates.
 *
 *   node --import tsx packages/vision/bench/recognition.bench.ts [iterations=20] [--models a,b] [--skip-embed] [--skip-match]
 *
 * Chips are real aligned LFW faces when the shared data sets are found (PERSONA_DATASETS), else noise.
 * Needs models/dist (or PERSONA_MODELS_DIR). Figures on the shared 2-core machines are rough: compare ratios.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { findDatasetsDir } from "@persona/runtime";
import { quantile, timeRuns } from "@persona/testing";
import { alignFace } from "../src/alignment.ts";
import { FaceDetector } from "../src/detector.ts";
import { EMBEDDER_MODELS, Embedder, type EmbedderModelName } from "../src/embedder.ts";
import { decodeImage } from "../src/image.ts";
import { Gallery } from "../src/matcher.ts";
import { blazefacePath, lfwFirstImages } from "../src/test-support/datasets.ts";
import type { RgbImage } from "../src/types.ts";

const { values, positionals } = parseArgs({
  options: {
    models: { type: "string" },
    "skip-embed": { type: "boolean", default: false },
    "skip-match": { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const iterations = Number(positionals[0] ?? 20);
const models = (values.models?.split(",") ?? Object.keys(EMBEDDER_MODELS)) as EmbedderModelName[];

function stats(xs: number[]): { median: number; p90: number; min: number } {
  return { median: quantile(xs, 0.5), p90: quantile(xs, 0.9), min: quantile(xs, 0) };
}

const time = (n: number, f: () => unknown) => timeRuns(Math.min(3, n), n, f);

/** Up to 8 detected LFW faces (whole images, aligned per model later), or null without data. */
async function lfwFaces(): Promise<{ image: RgbImage; keypoints: Parameters<typeof alignFace>[1] }[] | null> {
  const root = findDatasetsDir();
  const model = blazefacePath();
  if (!root || !model) return null;
  const det = await FaceDetector.create({ modelPath: model });
  const out: { image: RgbImage; keypoints: Parameters<typeof alignFace>[1] }[] = [];
  for (const f of lfwFirstImages(root, 8, 100)) {
    const image = await decodeImage(f);
    const [d] = await det.detect(image);
    if (d) out.push({ image, keypoints: d.keypoints });
  }
  await det.dispose();
  return out;
}

console.log(`recognition bench: ${iterations} iterations, ${availableParallelism()} cores, node ${process.version}`);

if (!values["skip-embed"]) {
  const faces = await lfwFaces();
  console.log(faces ? `chips: ${faces.length} aligned LFW faces` : "chips: random noise (no data sets found)");
  console.log("\nembedding (ms per call, ms per face = median / batch)");
  console.log("model           threads  batch   median     p90   per face");
  for (const name of models) {
    for (const threads of [1, 0]) {
      const e = await Embedder.create({ model: name, intraOpNumThreads: threads, maxBatch: 8 });
      const s = e.spec.inputSize;
      const chips: RgbImage[] = Array.from({ length: 8 }, (_, i) => {
        const f = faces?.[i % Math.max(1, faces.length)];
        if (f) return alignFace(f.image, f.keypoints, e.spec.template).chip;
        return { data: Uint8Array.from({ length: s * s * 3 }, () => Math.floor(Math.random() * 256)), width: s, height: s };
      });
      for (const batch of [1, 8]) {
        const b = chips.slice(0, batch);
        const st = stats(await time(iterations, () => e.embed(b, { flip: false })));
        console.log(
          `${name.padEnd(16)}${(threads === 0 ? "default" : String(threads)).padStart(7)}${String(batch).padStart(7)}${st.median.toFixed(2).padStart(9)}${st.p90.toFixed(2).padStart(8)}${(st.median / batch).toFixed(2).padStart(11)}`,
        );
      }
      if (threads === 1) {
        const f1 = stats(await time(iterations, () => e.embed(chips.slice(0, 1), { flip: true })));
        console.log(
          `${name.padEnd(16)}${"1".padStart(7)}${"1 flip".padStart(7)}${f1.median.toFixed(2).padStart(9)}${f1.p90.toFixed(2).padStart(8)}${f1.median.toFixed(2).padStart(11)}`,
        );
        if (faces && e.spec.ensemble.length > 1) {
          const one = faces.slice(0, 1).map((f) => ({ image: f.image, keypoints: f.keypoints }));
          const ef = stats(await time(iterations, () => e.embedFaces(one, { flip: true, ensemble: true })));
          console.log(
            `${name.padEnd(16)}${"1".padStart(7)}${"1 e+f".padStart(7)}${ef.median.toFixed(2).padStart(9)}${ef.p90.toFixed(2).padStart(8)}${ef.median.toFixed(2).padStart(11)}   (embedFaces: ${e.spec.ensemble.length} crops + flip, alignment included)`,
          );
        }
      }
      await e.dispose();
    }
  }
}

if (!values["skip-match"]) {
  console.log("\nmatching (brute-force cosine, one probe; ms per query)");
  console.log("dims   templates  people   search(k=5)  searchPeople(k=5)  decide");
  for (const dims of [128, 256, 1024]) {
    for (const n of [10_000, 100_000]) {
      const g = new Gallery({ dims, initialCapacity: n });
      const v = new Float32Array(dims);
      let seed = 1;
      const rnd = () => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed / 4294967296 - 0.5;
      };
      const people = Math.ceil(n / 5);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < dims; j++) v[j] = rnd();
        g.add(`p${i % people}`, v);
      }
      const probe = Float32Array.from({ length: dims }, rnd);
      const reps = Math.max(5, Math.round(iterations / (n / 10_000)));
      const a = stats(await time(reps, () => g.search(probe, 5)));
      const b = stats(await time(reps, () => g.searchPeople(probe, 5)));
      const c = stats(await time(reps, () => g.decide(probe, { threshold: 0.5, minMargin: 0.02 })));
      const mb = ((n * dims * 4) / 2 ** 20).toFixed(0);
      console.log(
        `${String(dims).padEnd(7)}${String(n).padStart(9)}${String(people).padStart(8)}${a.median.toFixed(2).padStart(13)}${b.median.toFixed(2).padStart(19)}${c.median.toFixed(2).padStart(8)}   (${mb} MB)`,
      );
    }
  }
}
