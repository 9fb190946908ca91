// The fast classifier against the embedding path on real LFW faces: per-face time of each, and, as the recognizer's
// cascade uses it (only inside tracks the embedding path has confirmed), its share of those faces and its agreement
// with the embedding path. People with many LFW photos are "enrolled": the first --train photos of each train the
// classifier (and give the embedding gallery 5 templates each); the next --test photos are streamed as tracks of 5
// faces, interleaved with tracks of strangers who are never enrolled. A track is confirmed for a person once the
// embedding path named 2 of its faces so (the recognizer's default vote); faces after that are the cascade's.
// Usage: node --import tsx services/trainer/bench/classifier.bench.ts [--people 8] [--train 40] [--test 20]
//        [--epochs 30] [--min-probability 0.97] [--json]
import { parseArgs } from "node:util";
import { Embedder, type RgbImage, dot, embedderSpec } from "@persona/vision";
import { lfwChips } from "../test-support/lfwChips.ts";
import { measureFastPath, timeEmbedder } from "../src/classifier/index.ts";

const { values } = parseArgs({
  options: {
    people: { type: "string", default: "8" },
    train: { type: "string", default: "40" },
    test: { type: "string", default: "20" },
    epochs: { type: "string", default: "30" },
    "min-probability": { type: "string", default: "0.97" },
    json: { type: "boolean", default: false },
  },
});
const say = (s: string) => process.stderr.write(`${s}\n`);
const KNOWN = [
  "George_W_Bush",
  "Colin_Powell",
  "Tony_Blair",
  "Donald_Rumsfeld",
  "Gerhard_Schroeder",
  "Ariel_Sharon",
  "Hugo_Chavez",
  "Junichiro_Koizumi",
  "Jean_Chretien",
  "John_Ashcroft",
].slice(0, Number(values.people));
const STRANGERS_TRAIN = [
  "Jacques_Chirac",
  "Serena_Williams",
  "Vladimir_Putin",
  "Luiz_Inacio_Lula_da_Silva",
  "Gloria_Macapagal_Arroyo",
  "Laura_Bush",
];
const STRANGERS_TEST = [
  "Jennifer_Capriati",
  "Lleyton_Hewitt",
  "Alejandro_Toledo",
  "Kofi_Annan",
  "Nestor_Kirchner",
  "Alvaro_Uribe",
];
const nTrain = Number(values.train);
const nTest = Number(values.test);
const minProbability = Number(values["min-probability"]);

say(`aligning LFW faces (cached after the first run): ${KNOWN.length} people x ${nTrain}+${nTest}, strangers`);
const known = await lfwChips(KNOWN, nTrain + nTest);
const strangersTrain = await lfwChips(STRANGERS_TRAIN, 15);
const strangersTest = await lfwChips(STRANGERS_TEST, 10);
const trainKnown: { chip: RgbImage; personId: string }[] = [];
const testKnown = new Map<string, RgbImage[]>();
for (const p of KNOWN) {
  const mine = known.filter((k) => k.person === p);
  for (const k of mine.slice(0, nTrain)) trainKnown.push({ chip: k.chip, personId: p });
  testKnown.set(
    p,
    mine.slice(nTrain, nTrain + nTest).map((k) => k.chip),
  );
}

// the embedding path: dlib-resnet29 (single), a gallery of 5 templates per person, the recognizer's open-set rule
const spec = embedderSpec("dlib-resnet29");
const rule = spec.thresholds.single?.openSet ?? { threshold: 0.9, minMargin: 0.015 };
const embedder = await Embedder.create({ model: spec, flip: false, intraOpNumThreads: 1 });
const gallery: { personId: string; e: Float32Array }[] = [];
for (const p of KNOWN) {
  for (const t of trainKnown.filter((k) => k.personId === p).slice(0, 5)) {
    const [e] = await embedder.embed([t.chip]);
    if (e) gallery.push({ personId: p, e });
  }
}
const decide = async (chip: RgbImage): Promise<string | null> => {
  const [e] = await embedder.embed([chip]);
  if (!e) return null;
  const best = new Map<string, number>();
  for (const g of gallery) best.set(g.personId, Math.max(best.get(g.personId) ?? -1, dot(e, g.e)));
  const ranked = [...best].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (!first || first[1] < rule.threshold || first[1] - (second?.[1] ?? -1) < rule.minMargin) return null;
  return first[0];
};

// tracks of 5 faces, known and stranger tracks interleaved
const tracks: RgbImage[][] = [];
for (const chips of testKnown.values()) for (let i = 0; i < chips.length; i += 5) tracks.push(chips.slice(i, i + 5));
const strangerTracks: RgbImage[][] = [];
for (const p of STRANGERS_TEST) {
  const mine = strangersTest.filter((s) => s.person === p).map((s) => s.chip);
  for (let i = 0; i < mine.length; i += 5) strangerTracks.push(mine.slice(i, i + 5));
}
const stream: RgbImage[][] = [];
for (let i = 0; i < Math.max(tracks.length, strangerTracks.length); i++) {
  if (tracks[i]) stream.push(tracks[i] as RgbImage[]);
  if (strangerTracks[i]) stream.push(strangerTracks[i] as RgbImage[]);
}
const testCrops: { chip: RgbImage }[] = [];
const embeddingDecisions: { personId: string | null; trackPersonId: string | null }[] = [];
for (const track of stream) {
  const votes = new Map<string, number>();
  let confirmed: string | null = null;
  for (const chip of track) {
    const personId = await decide(chip);
    testCrops.push({ chip });
    embeddingDecisions.push({ personId, trackPersonId: confirmed });
    if (personId) votes.set(personId, (votes.get(personId) ?? 0) + 1);
    const top = [...votes].sort((a, b) => b[1] - a[1])[0];
    if (!confirmed && top && top[1] >= 2) confirmed = top[0];
  }
}
await embedder.dispose();
const chips = testCrops.map((t) => t.chip).slice(0, 64);
const embeddingSingleMs = await timeEmbedder(chips);
const flipEmbedder = await Embedder.create({ model: spec, flip: true, intraOpNumThreads: 1 });
for (const c of chips.slice(0, 3)) await flipEmbedder.embed([c]);
const t0 = performance.now();
for (const c of chips) await flipEmbedder.embed([c]);
const embeddingFlipMs = (performance.now() - t0) / chips.length;
await flipEmbedder.dispose();

say(
  `training on ${trainKnown.length} known + ${strangersTrain.length} stranger crops, ${values.epochs} epochs; ` +
    `${testCrops.length} test faces (${embeddingDecisions.filter((d) => d.trackPersonId).length} in confirmed tracks)`,
);
const r = await measureFastPath({
  trainCrops: [...trainKnown, ...strangersTrain.map((s) => ({ chip: s.chip, personId: null }))],
  testCrops,
  embeddingDecisions,
  embeddingMsPerFace: embeddingSingleMs,
  options: { epochs: Number(values.epochs), minProbability },
});
const result = {
  people: KNOWN.length,
  trainCrops: trainKnown.length + strangersTrain.length,
  testFaces: testCrops.length,
  minProbability,
  ...r,
  embeddingFlipMsPerFace: embeddingFlipMs,
  speedupVsFlip: embeddingFlipMs / r.fastMsPerFace,
};
if (values.json) console.log(JSON.stringify(result));
else {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(
    [
      `fast classifier (${r.classes} classes, trained in ${r.trainSeconds.toFixed(0)} s): validation accuracy ${pct(r.validationAccuracy)}, unknown rejection ${pct(r.unknownRejection)}`,
      `per face: fast ${r.fastMsPerFace.toFixed(3)} ms, embedding ${r.embeddingMsPerFace.toFixed(2)} ms (single), ${embeddingFlipMs.toFixed(2)} ms (flip)`,
      `speed-up: ${r.speedup.toFixed(1)}x (single), ${result.speedupVsFlip.toFixed(1)}x (flip)`,
      `cascade: decided ${r.decided} of ${r.confirmedFaces} faces of confirmed tracks (share ${pct(r.share)}), agreement with the embedding path ${pct(r.agreement)} (${r.conflicts} named another person)`,
    ].join("\n"),
  );
}
