import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DECISION_DEFAULTS, Gallery, GalleryError } from "./matcher.ts";

/** Unit vector at `deg` degrees in the first two dimensions of a `dims`-d space. */
function at(deg: number, dims = 4): Float32Array {
  const v = new Float32Array(dims);
  v[0] = Math.cos((deg * Math.PI) / 180);
  v[1] = Math.sin((deg * Math.PI) / 180);
  return v;
}

const cos = (deg: number) => Math.cos((deg * Math.PI) / 180);

describe("Gallery storage", () => {
  test("add, sizes, ids and normalised copies", () => {
    const g = new Gallery({ dims: 4, initialCapacity: 1 });
    const t1 = g.add("alice", [3, 0, 0, 0]);
    const t2 = g.add("alice", at(10));
    const t3 = g.add("bob", at(90), "bob-1");
    assert.equal(t3, "bob-1");
    assert.notEqual(t1, t2);
    assert.equal(g.size, 3);
    assert.equal(g.personCount, 2);
    assert.deepEqual(g.people().sort(), ["alice", "bob"]);
    assert.deepEqual(g.templatesOf("alice").sort(), [t1, t2].sort());
    assert.equal(g.personOf("bob-1"), "bob");
    assert.deepEqual([...(g.getTemplate(t1) ?? [])], [1, 0, 0, 0]);
  });

  test("removeTemplate keeps the other rows searchable; last template removes the person", () => {
    const g = new Gallery({ dims: 4 });
    const a1 = g.add("alice", at(0));
    g.add("bob", at(90), "b1");
    g.add("carol", at(180), "c1");
    assert.equal(g.removeTemplate(a1), true);
    assert.equal(g.removeTemplate(a1), false);
    assert.equal(g.hasPerson("alice"), false);
    assert.equal(g.personCount, 2);
    // carol's row moved into alice's slot: still found under her id
    const [top] = g.search(at(180), 1);
    assert.deepEqual(top, { personId: "carol", templateId: "c1", similarity: 1 });
    assert.equal(g.search(at(90), 1)[0]?.templateId, "b1");
  });

  test("removePerson removes every template and frees the person slot for reuse", () => {
    const g = new Gallery({ dims: 4 });
    g.add("alice", at(0));
    g.add("alice", at(5));
    g.add("bob", at(90));
    assert.equal(g.removePerson("alice"), 2);
    assert.equal(g.removePerson("alice"), 0);
    assert.equal(g.size, 1);
    g.add("dave", at(0));
    assert.deepEqual(
      g.searchPeople(at(0), 5).map((p) => p.personId),
      ["dave", "bob"],
    );
  });

  test("grows past its initial capacity", () => {
    const g = new Gallery({ dims: 4, initialCapacity: 2 });
    for (let i = 0; i < 100; i++) g.add(`p${i % 7}`, at(i * 3.6));
    assert.equal(g.size, 100);
    assert.equal(g.search(at(36), 1)[0]?.similarity.toFixed(6), (1).toFixed(6));
  });

  test("rejects wrong dims, zero/NaN vectors, duplicate and empty ids", () => {
    const g = new Gallery({ dims: 4 });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof GalleryError);
        return e.code;
      }
      return "no error";
    };
    assert.equal(
      code(() => g.add("a", [1, 2, 3])),
      "dims_mismatch",
    );
    assert.equal(
      code(() => g.add("a", [0, 0, 0, 0])),
      "bad_vector",
    );
    assert.equal(
      code(() => g.add("a", [Number.NaN, 0, 0, 1])),
      "bad_vector",
    );
    assert.equal(
      code(() => g.add("", at(0))),
      "bad_id",
    );
    g.add("a", at(0), "x");
    assert.equal(
      code(() => g.add("b", at(1), "x")),
      "duplicate_template",
    );
    assert.equal(
      code(() => g.search([1, 0, 0])),
      "dims_mismatch",
    );
    assert.throws(() => new Gallery({ dims: 0 }), RangeError);
  });
});

describe("Gallery search", () => {
  test("search returns top-k templates best first; searchPeople one entry per person", () => {
    const g = new Gallery({ dims: 4 });
    g.add("alice", at(0), "a0");
    g.add("alice", at(20), "a20");
    g.add("bob", at(30), "b30");
    g.add("carol", at(100), "c100");
    const t = g.search(at(12), 3);
    assert.deepEqual(
      t.map((m) => m.templateId),
      ["a20", "a0", "b30"],
    );
    assert.ok(Math.abs((t[0]?.similarity ?? 0) - cos(8)) < 1e-6);
    const p = g.searchPeople(at(12), 5);
    assert.deepEqual(
      p.map((m) => [m.personId, m.templateId]),
      [
        ["alice", "a20"],
        ["bob", "b30"],
        ["carol", "c100"],
      ],
    );
    assert.equal(g.search(at(0), 0).length, 0);
    assert.equal(g.search(at(0), 10).length, 4);
  });

  test("probes are normalised before scoring", () => {
    const g = new Gallery({ dims: 4 });
    g.add("alice", at(0));
    const probe = at(0).map((x) => x * 7);
    assert.ok(Math.abs((g.search(probe, 1)[0]?.similarity ?? 0) - 1) < 1e-6);
  });

  test("ties between templates keep insertion order", () => {
    const g = new Gallery({ dims: 4 });
    g.add("alice", at(10), "a");
    g.add("bob", at(-10), "b");
    const t = g.search(at(0), 2);
    assert.equal(t[0]?.similarity, t[1]?.similarity);
    assert.deepEqual(
      t.map((m) => m.templateId),
      ["a", "b"],
    );
  });
});

describe("Gallery.decide (open set)", () => {
  const g = new Gallery({ dims: 4 });
  g.add("alice", at(0), "a0");
  g.add("alice", at(4), "a4");
  g.add("bob", at(40), "b40");

  test("known: best person above threshold with enough margin over the best OTHER person", () => {
    const d = g.decide(at(2), { threshold: cos(10), minMargin: 0.05 });
    assert.equal(d.kind, "known");
    if (d.kind !== "known") return;
    assert.equal(d.personId, "alice");
    // margin is against bob (40 - 2 = 38 degrees), not alice's second template
    assert.ok(Math.abs(d.margin - (cos(2) - cos(38))) < 1e-6, String(d.margin));
    assert.equal(d.runnerUp?.personId, "bob");
  });

  test("unknown below the threshold, with the closest person for review", () => {
    const d = g.decide(at(-30), { threshold: cos(10), minMargin: 0 });
    assert.equal(d.kind, "unknown");
    if (d.kind !== "unknown") return;
    assert.equal(d.reason, "below_threshold");
    assert.equal(d.best?.personId, "alice");
  });

  test("unknown when the margin is too small (between two people)", () => {
    const d = g.decide(at(21), { threshold: cos(25), minMargin: 0.05 });
    assert.equal(d.kind, "unknown");
    if (d.kind === "unknown") assert.equal(d.reason, "ambiguous");
    // the same probe with no margin requirement is named
    assert.equal(g.decide(at(21), { threshold: cos(25), minMargin: 0 }).kind, "known");
  });

  test("an exact tie is never named, even with minMargin 0", () => {
    const t = new Gallery({ dims: 4 });
    t.add("alice", at(10));
    t.add("bob", at(-10));
    const d = t.decide(at(0), { threshold: 0.5, minMargin: 0 });
    assert.equal(d.kind, "unknown");
    if (d.kind === "unknown") {
      assert.equal(d.reason, "ambiguous");
      assert.equal(d.margin, 0);
    }
  });

  test("single enrolled person: margin is similarity + 1", () => {
    const s = new Gallery({ dims: 4 });
    s.add("alice", at(0));
    const d = s.decide(at(0), { threshold: 0.9, minMargin: 0.5 });
    assert.equal(d.kind, "known");
    if (d.kind === "known") {
      assert.ok(Math.abs(d.margin - 2) < 1e-6);
      assert.equal(d.runnerUp, null);
    }
  });

  test("empty gallery and defaults", () => {
    const e = new Gallery({ dims: 4 });
    assert.deepEqual(e.decide(at(0)), { kind: "unknown", reason: "empty_gallery", best: null, margin: null, runnerUp: null });
    assert.ok(DECISION_DEFAULTS.threshold > 0 && DECISION_DEFAULTS.threshold < 1);
    assert.throws(() => g.decide(at(0), { threshold: Number.NaN }), RangeError);
    assert.throws(() => g.decide(at(0), { minMargin: -0.1 }), RangeError);
  });

  test("removing a person changes the decision", () => {
    const r = new Gallery({ dims: 4 });
    r.add("alice", at(0));
    r.add("bob", at(3));
    assert.equal(r.decide(at(1), { threshold: 0.9, minMargin: 0.01 }).kind, "unknown");
    r.removePerson("bob");
    const d = r.decide(at(1), { threshold: 0.9, minMargin: 0.01 });
    assert.equal(d.kind === "known" && d.personId, "alice");
  });
});
