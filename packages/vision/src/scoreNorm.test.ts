import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Gallery, GalleryError, SCORE_NORM_DEFAULTS } from "./matcher.ts";
import { asNormScore, ScoreCohort } from "./scoreNorm.ts";

/** Unit vector at `deg` degrees in the first two dimensions of a 4-d space (a `z` third component tilts it). */
function at(deg: number, z = 0): Float32Array {
  const r = (deg * Math.PI) / 180;
  return Float32Array.from([Math.cos(r), Math.sin(r), z, 0]);
}
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};
const cosBetween = (a: Float32Array, b: Float32Array) => {
  const p = unit(a);
  const q = unit(b);
  return p.reduce((s, x, i) => s + x * (q[i] as number), 0);
};

describe("ScoreCohort", () => {
  test("k is 1% of the cohort (at least 1); usable from minSize faces", () => {
    const faces = (n: number) => Array.from({ length: n }, (_, i) => at(i));
    assert.equal(new ScoreCohort(4, faces(1000)).k, 10);
    assert.equal(new ScoreCohort(4, faces(30)).k, 1);
    assert.equal(new ScoreCohort(4, faces(499)).usable, false);
    assert.equal(new ScoreCohort(4, faces(500)).usable, true);
    assert.equal(new ScoreCohort(4, faces(10), { minSize: 10, topFraction: 0.3 }).k, 3);
  });

  test("topMean is the mean of the k highest similarities, whatever their order", () => {
    const degs = [50, 0, 90, 10, 170, 30];
    const c = new ScoreCohort(
      4,
      degs.map((d) => at(d)),
      { topFraction: 0.5, minSize: 1 },
    );
    assert.equal(c.k, 3);
    const want = (Math.cos(0) + Math.cos((10 * Math.PI) / 180) + Math.cos((30 * Math.PI) / 180)) / 3;
    assert.ok(Math.abs(c.topMean(at(0)) - want) < 1e-6, String(c.topMean(at(0))));
    // not unit length: normalised first
    assert.ok(Math.abs(c.topMean(Float32Array.from([5, 0, 0, 0])) - want) < 1e-6);
  });

  test("bad input is a RangeError", () => {
    assert.throws(() => new ScoreCohort(4, [[1, 0, 0]]), RangeError);
    assert.throws(() => new ScoreCohort(4, [[0, 0, 0, 0]]), RangeError);
    assert.throws(() => new ScoreCohort(4, [], { topFraction: 0 }), RangeError);
    const c = new ScoreCohort(4, [at(0)], { minSize: 1 });
    assert.throws(() => c.topMean([1, 0, 0]), RangeError);
    assert.throws(() => c.topMean([0, 0, 0, 0]), RangeError);
    assert.ok(Number.isNaN(new ScoreCohort(4, []).topMean(at(0))));
  });

  test("asNormScore subtracts the mean of the two cohort means", () => {
    assert.equal(asNormScore(0.9, 0.8, 0.6), 0.9 - 0.7);
  });
});

describe("Gallery.decide with scoreNorm", () => {
  // alice and bob enrolled; the cohort (strangers) crowds around 150-210 degrees, i.e. near bob and far from alice
  const gallery = () => {
    const g = new Gallery({ dims: 4 });
    g.add("alice", at(0), "a1");
    g.add("bob", at(180), "b1");
    return g;
  };
  const cohort = (n = 40) =>
    new ScoreCohort(
      4,
      Array.from({ length: n }, (_, i) => at(150 + (60 * i) / (n - 1), 0.2)),
      { topFraction: 0.1, minSize: 20 },
    );

  test("a probe as close to bob as another to alice is named only where strangers are rare", () => {
    const g = gallery();
    const c = cohort();
    const nearAlice = at(20);
    const nearBob = at(200);
    // the same raw similarity to their best person
    const da = g.decide(nearAlice, { threshold: 0.9, minMargin: 0 });
    const db = g.decide(nearBob, { threshold: 0.9, minMargin: 0 });
    assert.equal(da.kind, "known");
    assert.equal(db.kind, "known");
    const opts = { scoreNorm: { cohort: c, threshold: 0.3, minMargin: 0 } };
    const na = g.decide(nearAlice, opts);
    const nb = g.decide(nearBob, opts);
    assert.equal(na.kind, "known");
    assert.equal(na.kind === "known" && na.personId, "alice");
    assert.equal(nb.kind, "unknown");
    assert.equal(nb.kind === "unknown" && nb.reason, "below_threshold");
    // the reported scores are the documented formula
    const pm = c.topMean(nearBob);
    const expected = asNormScore(cosBetween(nearBob, at(180)), pm, c.topMean(at(180)));
    assert.ok(Math.abs((nb.normalized?.score ?? Number.NaN) - expected) < 1e-5);
    assert.equal(nb.normalized?.probeTopMean, pm);
    // the normalised margin is the lead over the runner-up's normalised score
    const ra = asNormScore(cosBetween(nearAlice, at(0)), c.topMean(nearAlice), c.topMean(at(0)));
    const rb = asNormScore(cosBetween(nearAlice, at(180)), c.topMean(nearAlice), c.topMean(at(180)));
    assert.ok(Math.abs((na.normalized?.margin ?? Number.NaN) - (ra - rb)) < 1e-5);
  });

  test("minMargin applies to the normalised lead", () => {
    const g = gallery();
    const c = cohort();
    const d = g.decide(at(20), { scoreNorm: { cohort: c, threshold: -1, minMargin: 5 } });
    assert.equal(d.kind === "unknown" && d.reason, "ambiguous");
  });

  test("a cohort below minSize falls back to the plain threshold + margin", () => {
    const g = gallery();
    const small = cohort(19);
    assert.equal(small.usable, false);
    const d = g.decide(at(200), { threshold: 0.9, minMargin: 0, scoreNorm: { cohort: small, threshold: 0.3 } });
    assert.equal(d.kind, "known");
    assert.equal(d.normalized, undefined);
  });

  test("defaults, dims mismatch and bad options", () => {
    const g = gallery();
    const c = cohort();
    const d = g.decide(at(20), { scoreNorm: { cohort: c } });
    const s = d.normalized?.score ?? Number.NaN;
    assert.equal(d.kind, s >= SCORE_NORM_DEFAULTS.threshold ? "known" : "unknown");
    const other = new ScoreCohort(
      3,
      Array.from({ length: 20 }, () => [1, 0, 0]),
      { minSize: 20 },
    );
    assert.throws(
      () => g.decide(at(0), { scoreNorm: { cohort: other } }),
      (e: unknown) => e instanceof GalleryError && e.code === "dims_mismatch",
    );
    assert.throws(() => g.decide(at(0), { scoreNorm: { cohort: c, threshold: Number.NaN } }), RangeError);
    assert.throws(() => g.decide(at(0), { scoreNorm: { cohort: c, minMargin: -1 } }), RangeError);
    assert.equal(new Gallery({ dims: 4 }).decide(at(0), { scoreNorm: { cohort: c } }).kind, "unknown");
  });
});
