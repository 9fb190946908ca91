/**
 * Where a model's self-learning thresholds (`selfLearning` in its spec) come from: `persona eval selflearn`'s replay
 * on LFW (2 shots per track, 400 impostors, seed 1) with the recognizers' settings from the environment, for a few
 * visitor clustering distances and gallery-growth variants. Prints track recall and false accepts without and with
 * growth, templates added (to a wrong person), and the visitors' purity and coverage.
 *
 *   node --import tsx packages/eval/bin/selflearn-tune.ts [--distances 0.4,0.5,0.55,0.6] [--cache DIR]
 */
import { parseArgs } from "node:util";
import { datasetsDir } from "@persona/runtime";
import { join } from "node:path";
import { DEFAULT_CACHE_DIR } from "../src/cache.ts";
import { evalSelfLearn, type ModeReport } from "../src/selflearn.ts";

const { values } = parseArgs({
  options: { distances: { type: "string", default: "0.4,0.5,0.55,0.6" }, cache: { type: "string" } },
});
const distances = (values.distances ?? "").split(",").map(Number);
// beside the default (the model's selfLearning, margin 0.04)
const variants = [
  { minSimilarity: 0.55, dedupeSimilarity: 0.8 },
  { minSimilarity: 0.5, dedupeSimilarity: 0.9 },
  { minSimilarity: 0.5, dedupeSimilarity: 0.75 },
];
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const row = (label: string, m: ModeReport) =>
  `${label.padEnd(34)} ${pct(m.recall).padStart(8)} ${`${pct(m.falseAcceptRate)} (${m.falseAccepts})`.padStart(13)} ${String(m.growth.added).padStart(6)} ${String(m.growth.wrongPerson).padStart(6)}`;

for (const [k, maxDistance] of distances.entries()) {
  const r = await evalSelfLearn({
    dataDir: join(datasetsDir(), "lfw"),
    cacheDir: values.cache ?? DEFAULT_CACHE_DIR,
    fastPath: false,
    cluster: { maxDistance },
    growthVariants: k === 0 ? variants : [],
  });
  if (k === 0) {
    console.log(`model ${r.model}; growth (min similarity / margin / dedupe), 2 shots per track`);
    console.log(
      `${"".padEnd(34)} ${"recall".padStart(8)} ${"false acc.".padStart(13)} ${"added".padStart(6)} ${"wrong".padStart(6)}`,
    );
    console.log(row("enrollment only", r.off));
    const g = r.growthOptions;
    console.log(row(`growth ${g.minSimilarity} / ${g.minMargin} / ${g.dedupeSimilarity} (default)`, r.on));
    for (const v of r.variants ?? []) {
      console.log(row(`growth ${v.growth.minSimilarity} / ${v.growth.minMargin} / ${v.growth.dedupeSimilarity}`, v.on));
    }
    console.log("\nvisitors: max distance   impostor purity   recurring impostors found");
  }
  const c = r.on.clusters;
  console.log(
    `          ${String(maxDistance).padEnd(14)} ${pct(c.impostorPurity).padStart(15)}   ${c.impostorsFound} of ${c.impostorsRecurring}`,
  );
}
