import assert from "node:assert/strict";
import { test } from "node:test";
import {
  GROWTH_DEFAULTS,
  type GrowthCandidate,
  GrowthGallery,
  type GrowthOptions,
  checkGrowthOptions,
  decideGrowth,
} from "./growthPolicy.ts";

const DIMS = 8;
const HOUR = 3_600_000;

/** A unit vector in the plane of axes a and b with similarity `sim` to axis a. */
function near(a: number, sim: number, b = 7): Float32Array {
  const v = new Float32Array(DIMS);
  v[a] = sim;
  v[b] = Math.sqrt(Math.max(0, 1 - sim * sim));
  return v;
}
const axis = (i: number) => near(i, 1);

const o: GrowthOptions = { ...GROWTH_DEFAULTS, minSimilarity: 0.95, minMargin: 0.04, dedupeSimilarity: 0.985, minQuality: 0.4 };
const t0 = Date.parse("2026-11-28T09:00:00Z");
const cand = (over: Partial<GrowthCandidate> = {}): GrowthCandidate => ({
  personId: "ann",
  decision: "confirmed",
  votes: { agreeing: 3, total: 3 },
  quality: 0.8,
  at: t0,
  ...over,
});

function gallery(): GrowthGallery {
  const g = new GrowthGallery(DIMS);
  g.add("ann-1", "ann", axis(0), { selfLearned: false, addedAt: t0 - HOUR });
  g.add("bob-1", "bob", axis(1), { selfLearned: false, addedAt: t0 - HOUR });
  return g;
}

test("growth: a confident, unambiguous, new-looking face of the confirmed person is accepted", () => {
  const d = decideGrowth(gallery(), cand(), near(0, 0.97), o);
  assert.equal(d.accept, true);
  assert.ok(d.accept && Math.abs(d.similarity - 0.97) < 1e-6 && d.retire.length === 0);
});

test("growth: each rule rejects with its own reason", () => {
  const g = gallery();
  const reason = (c: GrowthCandidate, e: Float32Array) => {
    const d = decideGrowth(g, c, e, o);
    return d.accept ? "accepted" : d.reason;
  };
  assert.equal(reason(cand({ decision: "probable" }), near(0, 0.97)), "not-confirmed");
  assert.equal(reason(cand({ votes: { agreeing: 1, total: 1 } }), near(0, 0.97)), "few-votes");
  assert.equal(reason(cand({ quality: 0.2 }), near(0, 0.97)), "low-quality");
  assert.equal(reason(cand({ personId: "zoe" }), near(0, 0.97)), "unknown-person");
  // the crop looks more like bob than like ann: never added to ann
  assert.equal(reason(cand(), near(1, 0.97)), "other-person");
  assert.equal(reason(cand(), near(0, 0.93)), "low-similarity");
  assert.equal(reason(cand(), near(0, 0.995)), "near-duplicate");
  assert.equal(reason(cand(), axis(0)), "near-duplicate");
  // between ann and bob: similar to both
  const between = new Float32Array(DIMS);
  between[0] = 0.97;
  between[1] = 0.2;
  between[7] = Math.sqrt(1 - 0.97 ** 2 - 0.2 ** 2);
  const g2 = gallery();
  g2.add("bob-2", "bob", near(0, 0.9, 1), { selfLearned: false, addedAt: t0 });
  const d = decideGrowth(g2, cand(), between, o);
  assert.equal(d.accept, false);
  assert.equal(!d.accept && d.reason, "low-margin");
});

test("growth: the hourly rate limit counts self-learned additions per person in the face's clock", () => {
  const g = gallery();
  const lim = { ...o, maxPerHour: 2 };
  for (let i = 0; i < 2; i++) g.add(`ann-s${i}`, "ann", near(0, 0.9, 2 + i), { selfLearned: true, addedAt: t0 - 10 * 60_000 });
  const d = decideGrowth(g, cand(), near(0, 0.97), lim);
  assert.equal(!d.accept && d.reason, "rate-limited");
  // an hour later the window is empty again
  assert.equal(decideGrowth(g, cand({ at: t0 + HOUR }), near(0, 0.97), lim).accept, true);
  // bob's additions do not count for ann
  const g2 = gallery();
  g2.add("bob-s", "bob", near(1, 0.9, 2), { selfLearned: true, addedAt: t0 });
  g2.add("bob-s2", "bob", near(1, 0.9, 3), { selfLearned: true, addedAt: t0 });
  assert.equal(decideGrowth(g2, cand(), near(0, 0.97), lim).accept, true);
});

test("growth: beyond maxSelfLearned the most redundant self-learned template is retired, never an enrolled one", () => {
  const g = gallery();
  const lim = { ...o, maxSelfLearned: 3, maxPerHour: 100 };
  g.add("s-a", "ann", near(0, 0.96, 2), { selfLearned: true, addedAt: t0 - 3 * HOUR });
  g.add("s-b", "ann", near(0, 0.96, 3), { selfLearned: true, addedAt: t0 - 2 * HOUR });
  // s-c is almost the same as s-b: the pair is redundant, and s-b is older
  const sc = near(0, 0.96, 3);
  sc[4] = 0.02;
  g.add("s-c", "ann", sc, { selfLearned: true, addedAt: t0 - HOUR });
  const d = decideGrowth(g, cand(), near(0, 0.97, 5), lim);
  assert.equal(d.accept, true);
  assert.deepEqual(d.accept && d.retire, ["s-b"]);
  // under the bound nothing is retired
  assert.deepEqual(decideGrowth(g, cand(), near(0, 0.97, 5), { ...lim, maxSelfLearned: 4 }).accept && [], []);
  const d4 = decideGrowth(g, cand(), near(0, 0.97, 5), { ...lim, maxSelfLearned: 4 });
  assert.deepEqual(d4.accept && d4.retire, []);
  // with a bound of 1, all three older self-learned ones go; ann-1 (enrollment) stays
  const d1 = decideGrowth(g, cand(), near(0, 0.97, 5), { ...lim, maxSelfLearned: 1 });
  assert.deepEqual(d1.accept && [...d1.retire].sort(), ["s-a", "s-b", "s-c"]);
});

test("growth: a reverted template no longer counts and the person's other templates still do", () => {
  const g = gallery();
  g.add("s-a", "ann", near(0, 0.97), { selfLearned: true, addedAt: t0 });
  assert.equal(decideGrowth(g, cand({ at: t0 + 1 }), near(0, 0.97), o).accept, false); // near-duplicate of s-a
  g.remove("s-a");
  assert.equal(decideGrowth(g, cand({ at: t0 + 1 }), near(0, 0.97), o).accept, true);
  g.removePerson("ann");
  const d = decideGrowth(g, cand(), near(0, 0.97), o);
  assert.equal(!d.accept && d.reason, "unknown-person");
});

test("growth: options are checked", () => {
  assert.throws(() => checkGrowthOptions({ ...o, dedupeSimilarity: 0.9 }), /dedupeSimilarity/);
  assert.throws(() => checkGrowthOptions({ ...o, maxSelfLearned: 0 }), /maxSelfLearned/);
  assert.equal(checkGrowthOptions(o), o);
});

test("growth: with an anchor, a face near only self-learned templates (drifting away from the enrolled one) is refused", () => {
  const g = gallery();
  // a self-learned template at 0.96 from ann's enrolled one, leaning towards axis 5
  g.add("s-1", "ann", near(0, 0.96, 5), { selfLearned: true, addedAt: t0 - HOUR });
  // a candidate close to s-1 (0.97) but further from the enrollment template
  const drift = new Float32Array(DIMS);
  drift[0] = 0.87;
  drift[5] = Math.sqrt(1 - 0.87 ** 2);
  const anchored = { ...o, minAnchorSimilarity: 0.9 };
  const d = decideGrowth(g, cand(), drift, anchored);
  assert.equal(!d.accept && d.reason, "drifted");
  assert.equal(decideGrowth(g, cand(), drift, { ...o, minAnchorSimilarity: -1 }).accept, true);
});
