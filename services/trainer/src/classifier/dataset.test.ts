import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type LabelledSample, batchesFor, idFraction, splitRun } from "./dataset.ts";
import { NET_SIZE, SAMPLE_SIZE, chipToSample, sampleWindow } from "./sample.ts";

const sample = (v: number) => new Uint8Array(SAMPLE_SIZE * SAMPLE_SIZE).map((_, i) => (v + i) % 256);
const crops = (personId: string | null, n: number, prefix = personId ?? "u"): LabelledSample[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, personId, sample: sample(i) }));

describe("splitRun", () => {
  test("class 0 is unknown, people sorted; people with too few crops are skipped", () => {
    const r = splitRun(
      [...crops("bob", 10), ...crops("alice", 10), ...crops("carl", 3), ...crops(null, 10)],
      new Map([["alice", "Alice"]]),
      {
        minPerPerson: 5,
      },
    );
    assert.deepEqual(
      r.classes.map((c) => c.personId),
      [null, "alice", "bob"],
    );
    assert.equal(r.classes[1]?.name, "Alice");
    assert.deepEqual(r.skipped, [{ personId: "carl", crops: 3 }]);
    assert.equal(r.train.length + r.val.length, 30);
  });

  test("every class has crops on both sides, and a crop's side does not depend on the others", () => {
    const all = [...crops("a", 12), ...crops("b", 7), ...crops(null, 20)];
    const r1 = splitRun(all, new Map(), { minPerPerson: 2, valShare: 0.2 });
    for (const cls of [0, 1, 2]) {
      assert.ok(
        r1.val.some((v) => v.cls === cls),
        `class ${cls} validated`,
      );
      assert.ok(
        r1.train.some((t) => t.cls === cls),
        `class ${cls} trained`,
      );
    }
    // adding crops of another person does not move a's validation crops
    const r2 = splitRun([...all, ...crops("c", 9)], new Map(), { minPerPerson: 2, valShare: 0.2 });
    const valIds = (r: typeof r1) =>
      r.val
        .map((v) => v.id)
        .filter((id) => id.startsWith("a-"))
        .sort();
    assert.deepEqual(valIds(r1), valIds(r2));
    assert.ok(idFraction("x") >= 0 && idFraction("x") < 1);
  });
});

describe("samples and batches", () => {
  test("a chip becomes a 68x68 gray sample; a window is standardised and mirrors", () => {
    const chip = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).map((_, i) => (i * 7) % 256) };
    const s = chipToSample(chip);
    assert.equal(s.length, SAMPLE_SIZE * SAMPLE_SIZE);
    const w = sampleWindow(s);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    assert.ok(Math.abs(mean) < 1e-5);
    assert.ok(variance > 0.9 && variance <= 1);
    const m = sampleWindow(s, 2, 2, true);
    assert.equal(m[0], w[NET_SIZE - 1]);
    assert.throws(() => chipToSample({ width: 112, height: 90, data: new Uint8Array(112 * 90 * 3) }), /square aligned chips/);
    assert.equal(chipToSample({ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) }).length, 68 * 68);
    assert.throws(() => sampleWindow(s, 5, 0), /out of range/);
  });

  test("batches cover every training crop each epoch, balance small classes and are reproducible", () => {
    const r = splitRun([...crops("a", 40), ...crops("b", 10), ...crops(null, 10)], new Map(), { minPerPerson: 2 });
    const batches = batchesFor(r.train, 16, 1, 1);
    const count = (epoch: number) => {
      const per = new Map<number, number>();
      for (const b of batches(epoch)) for (const y of b.y) per.set(y, (per.get(y) ?? 0) + 1);
      return per;
    };
    const c = count(1);
    const trainA = r.train.filter((t) => t.cls === 1).length;
    assert.equal(c.get(1), trainA);
    assert.ok((c.get(2) ?? 0) >= trainA * 0.75, "the small class is repeated towards the largest");
    const first = [...batches(3)][0];
    const again = [...batches(3)][0];
    assert.deepEqual(first?.y, again?.y);
    assert.deepEqual(first?.x.slice(0, 10), again?.x.slice(0, 10));
  });
});
