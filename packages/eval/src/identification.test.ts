import assert from "node:assert/strict";
import { test } from "node:test";
import {
  computeIdentification,
  decisionRates,
  type LabelledVector,
  searchOutcomes,
  thresholdAtFpir,
  tuneDecision,
} from "./identification.ts";

const at = (deg: number): Float32Array =>
  Float32Array.from([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0]);
const lv = (personId: string, deg: number | null): LabelledVector => ({ personId, vector: deg === null ? null : at(deg) });

test("thresholdAtFpir allows floor(target * n) non-mated scores at or above it", () => {
  const s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
  const t = thresholdAtFpir(s, 0.1); // 1 allowed: 0.9 passes, 0.8 must not
  assert.ok(t > 0.8 && t < 0.9, String(t));
  assert.ok(thresholdAtFpir(s, 0) > 0.9);
  assert.equal(thresholdAtFpir(s, 1), Number.NEGATIVE_INFINITY);
  assert.throws(() => thresholdAtFpir(s, 1.5), RangeError);
});

test("rank-1, rank-5, FNIR at FPIR and decisions on a toy gallery", () => {
  // gallery: 6 people at 0, 60, 120, 180, 240, 300 degrees
  const people = ["a", "b", "c", "d", "e", "f"];
  const gallery = people.map((p, i) => lv(p, i * 60));
  const probes = [
    lv("a", 5), // right, close (sim cos 5)
    lv("b", 70), // right (cos 10)
    lv("c", 89), // 29 degrees from b, 31 from c: wrong at rank 1, right at rank 2
    lv("d", 180), // exact
    lv("e", null), // no face
  ];
  const impostors = [lv("x", 30), lv("y", 150), lv("z", 210), lv("w", 270), lv("v", null)];
  const m = computeIdentification(
    { dims: 3, gallery, probes, impostors },
    { fpirTargets: [0, 0.2], decisions: [{ threshold: Math.cos((12 * Math.PI) / 180), minMargin: 0 }] },
  );
  assert.equal(m.galleryPeople, 6);
  assert.equal(m.matedProbes, 5);
  assert.equal(m.nonMatedProbes, 5);
  assert.equal(m.matedWithoutVector, 1);
  assert.equal(m.nonMatedWithoutVector, 1);
  assert.equal(m.rank1, 3 / 5);
  assert.equal(m.rank5, 4 / 5);
  // impostor top scores are all cos 30 (4 of them) and -inf: FPIR 0 needs a threshold above cos 30
  const [f0, f20] = m.atFpir;
  assert.equal(f0?.fpir, 0);
  assert.equal(f0?.dir, 3 / 5); // a, b, d are above cos 30
  // FPIR 0.2 allows 1 of 5, but the 4 impostors tie at cos 30: the threshold must exclude all of them
  assert.equal(f20?.fpir, 0);
  const [d] = m.decisions;
  // threshold cos 12: a (cos 5), b (cos 10), d (1) are named; c is below; impostors are all below
  assert.equal(d?.matedCorrect, 3 / 5);
  assert.equal(d?.matedWrong, 0);
  assert.equal(d?.matedUnknown, 2 / 5);
  assert.equal(d?.impostorAccepted, 0);
});

test("a loose threshold names impostors and wrong people", () => {
  const gallery = [lv("a", 0), lv("b", 90)];
  const m = computeIdentification(
    { dims: 3, gallery, probes: [lv("a", 50)], impostors: [lv("x", 10)] },
    { decisions: [{ threshold: 0, minMargin: 0 }] },
  );
  assert.equal(m.decisions[0]?.matedWrong, 1); // 50 degrees is nearer b
  assert.equal(m.decisions[0]?.impostorAccepted, 1);
});

test("decisionRates applies the same rule as Gallery.decide", async () => {
  const { Gallery } = await import("@persona/vision");
  // deterministic pseudo-random 8-d vectors
  let seed = 3;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296 - 0.5;
  };
  const vec = () => Float32Array.from({ length: 8 }, rnd);
  const gallery = Array.from({ length: 12 }, (_, i) => ({ personId: `p${i % 6}`, vector: vec() }));
  const probes = Array.from({ length: 40 }, (_, i) => ({ personId: `p${i % 6}`, vector: vec() }));
  const impostors = Array.from({ length: 40 }, (_, i) => ({ personId: `x${i}`, vector: vec() }));
  const o = searchOutcomes({ dims: 8, gallery, probes, impostors });
  const g = new Gallery({ dims: 8 });
  for (const x of gallery) g.add(x.personId, x.vector);
  for (const [threshold, minMargin] of [
    [0.2, 0],
    [0.4, 0.05],
    [0.6, 0.1],
  ] as const) {
    const r = decisionRates(o, threshold, minMargin);
    const known = (l: { personId: string; vector: Float32Array }) => g.decide(l.vector, { threshold, minMargin });
    const correct = probes.filter((p) => {
      const d = known(p);
      return d.kind === "known" && d.personId === p.personId;
    }).length;
    const accepted = impostors.filter((p) => known(p).kind === "known").length;
    assert.equal(r.matedCorrect, correct / probes.length);
    assert.equal(r.impostorAccepted, accepted / impostors.length);
  }
});

test("tuneDecision: a margin rule beats a threshold alone when impostors sit between two people", () => {
  // 2 people; impostors halfway between them (high similarity to both, tiny margin); mated probes close to theirs
  const gallery = [lv("a", 0), lv("b", 20)];
  const probes = [lv("a", 2), lv("a", -6), lv("b", 18), lv("b", 26), lv("a", -9)];
  const impostors = [lv("x", 10), lv("y", 11.5), lv("z", 8.5), lv("w", 60)];
  const o = searchOutcomes({ dims: 3, gallery, probes, impostors });
  const tuned = tuneDecision(o, { targetFpir: 0, margins: [0, 0.005, 0.01, 0.02] });
  assert.equal(tuned.impostorAccepted, 0);
  assert.ok(tuned.minMargin > 0);
  // without the margin, the threshold must exceed cos(8.5 deg) and loses the probe 9 degrees from "a"
  const noMargin = tuneDecision(o, { targetFpir: 0, margins: [0] });
  assert.ok(tuned.matedCorrect > noMargin.matedCorrect, `${tuned.matedCorrect} vs ${noMargin.matedCorrect}`);
  assert.equal(tuned.matedCorrect, 1);
  assert.equal(tuned.minMargin, 0.01);
  assert.equal(noMargin.matedCorrect, 4 / 5);
});

test("normalised outcomes: the matcher's scores, tuned and applied with score 'norm'", async () => {
  const { ScoreCohort } = await import("@persona/vision");
  // strangers crowd around 170-190 degrees: a probe near "d" (180) must beat them to be named
  const cohort = new ScoreCohort(
    3,
    Array.from({ length: 20 }, (_, i) => at(170 + i)),
    { minSize: 20, topFraction: 0.1 },
  );
  const gallery = [lv("a", 0), lv("d", 180)];
  const probes = [lv("a", 8), lv("d", 186)];
  const impostors = [lv("x", 175), lv("y", 60)];
  const o = searchOutcomes({ dims: 3, gallery, probes, impostors, cohort });
  for (const m of [...o.mated, ...o.nonMated]) assert.ok(m.norm && Number.isFinite(m.norm.score));
  // the raw rule cannot name both probes without naming x (cos 5 > cos 6 > cos 8); the normalised one can name a
  const raw = tuneDecision(o, { targetFpir: 0, margins: [0] });
  assert.equal(raw.matedCorrect, 0);
  const norm = tuneDecision(o, { targetFpir: 0, margins: [0], score: "norm" });
  assert.equal(norm.score, "norm");
  assert.equal(norm.matedCorrect, 0.5);
  assert.equal(norm.impostorAccepted, 0);
  assert.throws(() => decisionRates(searchOutcomes({ dims: 3, gallery, probes, impostors }), 0, 0, "norm"), RangeError);
  const small = new ScoreCohort(3, [at(0)]);
  assert.throws(() => searchOutcomes({ dims: 3, gallery, probes, impostors, cohort: small }), RangeError);
});
