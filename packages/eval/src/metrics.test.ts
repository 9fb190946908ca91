import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seededRandom } from "@persona/runtime";
import {
  accuracyAt,
  bestThreshold,
  kFoldAccuracy,
  ratesAt,
  rocAuc,
  rocCurve,
  sampleStd,
  stratifiedFolds,
  tarAtFar,
} from "./metrics.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

describe("ROC", () => {
  test("perfect separation: AUC 1, TAR 1 at FAR 0", () => {
    const c = rocCurve([0.9, 0.8, 0.2, 0.1], [true, true, false, false]);
    close(rocAuc(c), 1);
    const t = tarAtFar(c, 0);
    assert.equal(t.tar, 1);
    assert.equal(t.threshold, 0.8);
    assert.equal(t.falseAccepts, 0);
    assert.deepEqual(c.points[0], { threshold: Number.POSITIVE_INFINITY, far: 0, tar: 0 });
    assert.deepEqual(c.points.at(-1), { threshold: 0.1, far: 1, tar: 1 });
  });

  test("inverted scores: AUC 0; all ties: AUC 0.5 (one diagonal step)", () => {
    close(rocAuc(rocCurve([0.1, 0.2, 0.8, 0.9], [true, true, false, false])), 0);
    const tied = rocCurve([0.5, 0.5, 0.5, 0.5], [true, false, true, false]);
    assert.equal(tied.points.length, 2);
    close(rocAuc(tied), 0.5);
  });

  test("AUC equals the Mann-Whitney probability on random scores", () => {
    const r = seededRandom(7);
    const scores: number[] = [];
    const labels: boolean[] = [];
    for (let i = 0; i < 300; i++) {
      const pos = i % 3 === 0;
      labels.push(pos);
      scores.push(Math.round((r() + (pos ? 0.4 : 0)) * 20) / 20); // coarse: many ties
    }
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < scores.length; i++) {
      if (!labels[i]) continue;
      for (let j = 0; j < scores.length; j++) {
        if (labels[j]) continue;
        pairs++;
        const si = scores[i] as number;
        const sj = scores[j] as number;
        wins += si > sj ? 1 : si === sj ? 0.5 : 0;
      }
    }
    close(rocAuc(rocCurve(scores, labels)), wins / pairs, 1e-12);
  });

  test("TAR@FAR picks the loosest threshold within the FAR budget", () => {
    // 10 impostors at 0.1..1.0 step; genuines spread
    const imp = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
    const gen = [0.95, 0.85, 0.75, 0.65, 0.55];
    const c = rocCurve([...gen, ...imp], [...gen.map(() => true), ...imp.map(() => false)]);
    const t = tarAtFar(c, 0.1); // one false accept allowed: threshold 0.9 accepts impostor 1.0 (and 0.9)?
    // threshold 1.0 accepts 1 impostor (FAR 0.1) and no genuine; 0.95 accepts 1 genuine + 1 impostor
    assert.equal(t.falseAccepts, 1);
    close(t.tar, 1 / 5);
    close(t.threshold, 0.95);
    const t2 = tarAtFar(c, 0.3);
    assert.equal(t2.falseAccepts, 3);
    close(t2.tar, 3 / 5);
    assert.throws(() => tarAtFar(c, 2), RangeError);
  });

  test("NaN scores are never accepted", () => {
    const c = rocCurve([Number.NaN, 0.5], [true, false]);
    // NaN genuine sorts last: FAR reaches 1 before TAR moves
    assert.deepEqual(
      c.points.map((p) => [p.far, p.tar]),
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
    );
  });
});

describe("thresholds and folds", () => {
  test("bestThreshold: midpoint of the best split, its accuracy", () => {
    const b = bestThreshold([0.9, 0.7, 0.6, 0.3, 0.2], [true, true, false, true, false]);
    close(b.threshold, 0.65);
    close(b.accuracy, 4 / 5);
    close(accuracyAt([0.9, 0.7, 0.6, 0.3, 0.2], [true, true, false, true, false], b.threshold), 4 / 5);
  });

  test("bestThreshold: all impostors -> threshold above every score", () => {
    const b = bestThreshold([0.4, 0.2], [false, false]);
    assert.ok(b.threshold > 0.4);
    close(b.accuracy, 1);
    assert.throws(() => bestThreshold([], []), RangeError);
  });

  test("ratesAt counts", () => {
    const r = ratesAt([0.9, 0.8, 0.7, 0.1], [true, false, true, false], 0.75);
    assert.equal(r.truePositives, 1);
    assert.equal(r.falsePositives, 1);
    close(r.tar, 0.5);
    close(r.far, 0.5);
    close(r.accuracy, 0.5);
  });

  test("kFoldAccuracy: threshold from the other folds, tested on the held-out one", () => {
    // fold 0 is separable at 0.5; fold 1's genuine pair scores 0.4: the threshold from fold 0 (0.5) misses it
    const scores = [0.8, 0.2, 0.7, 0.3, 0.4, 0.1];
    const labels = [true, false, true, false, true, false];
    const folds = [0, 0, 0, 0, 1, 1];
    const k = kFoldAccuracy(scores, labels, folds);
    assert.equal(k.folds.length, 2);
    const [f0, f1] = k.folds;
    // fold 0 is tested with the threshold chosen on fold 1 (0.25 = midpoint of 0.4 and 0.1)
    close(f0?.threshold ?? Number.NaN, 0.25);
    close(f0?.accuracy ?? Number.NaN, 3 / 4);
    close(f1?.threshold ?? Number.NaN, 0.5);
    close(f1?.accuracy ?? Number.NaN, 1 / 2);
    close(k.mean, (3 / 4 + 1 / 2) / 2);
    close(k.std, sampleStd([3 / 4, 1 / 2]));
    close(k.stdError, k.std / Math.SQRT2);
    assert.throws(() => kFoldAccuracy([1], [true], [0]), RangeError);
  });

  test("10-fold on synthetic LFW-like scores: accuracy near the Bayes rate, small std", () => {
    const r = seededRandom(42);
    const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const scores: number[] = [];
    const labels: boolean[] = [];
    const folds: number[] = [];
    for (let f = 0; f < 10; f++) {
      for (let i = 0; i < 600; i++) {
        const same = i < 300;
        scores.push((same ? 1 : -1) + 0.5 * gauss()); // d' = 4: Bayes error Phi(-2) = 2.28%
        labels.push(same);
        folds.push(f);
      }
    }
    const k = kFoldAccuracy(scores, labels, folds);
    assert.ok(Math.abs(k.mean - 0.9772) < 0.006, String(k.mean));
    assert.ok(k.std < 0.015, String(k.std));
    for (const f of k.folds) assert.ok(Math.abs(f.threshold) < 0.1, String(f.threshold));
  });

  test("stratifiedFolds spreads genuine and impostor pairs evenly", () => {
    const labels = [true, true, true, true, false, false, false, false];
    assert.deepEqual(stratifiedFolds(labels, 2), [0, 1, 0, 1, 0, 1, 0, 1]);
    assert.throws(() => stratifiedFolds(labels, 1), RangeError);
  });
});
