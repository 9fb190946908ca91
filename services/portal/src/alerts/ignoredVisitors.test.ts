import assert from "node:assert/strict";
import { test } from "node:test";
import { EMBEDDER_MODELS } from "@persona/vision";
import { OPEN_SET_THRESHOLDS, cosineSimilarity, matchIgnoredVisitor, openSetThreshold } from "./ignoredVisitors.ts";

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};
/** A unit vector at `similarity` (cosine) from (1, 0, 0) in the x-y plane. */
const at = (similarity: number) => unit(similarity, Math.sqrt(1 - similarity * similarity), 0);

test("the default thresholds are the recognizer's open-set naming thresholds of every built-in model and mode", () => {
  assert.deepEqual(Object.keys(OPEN_SET_THRESHOLDS).sort(), Object.keys(EMBEDDER_MODELS).sort());
  for (const [name, spec] of Object.entries(EMBEDDER_MODELS)) {
    assert.equal(openSetThreshold(name), spec.thresholds.single?.openSet.threshold, `${name} single`);
    assert.equal(openSetThreshold(`${name}+flip`), spec.thresholds.flip?.openSet.threshold, `${name}+flip`);
  }
  assert.equal(openSetThreshold("some-other-model"), null);
});

test("cosine similarity of vectors of any length; NaN for empty, zero or mismatched vectors", () => {
  assert.ok(Math.abs(cosineSimilarity(Float32Array.of(2, 0), Float32Array.of(5, 0)) - 1) < 1e-6);
  assert.ok(Math.abs(cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(0, 3))) < 1e-6);
  assert.ok(Number.isNaN(cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(1, 0, 0))));
  assert.ok(Number.isNaN(cosineSimilarity(Float32Array.of(0, 0), Float32Array.of(1, 0))));
});

test("a face matches the ignored visitor with the most similar best crop at or above the threshold", () => {
  const probe = { model: "dlib-resnet29", vector: unit(1, 0, 0) };
  const visitors = [
    { visitorId: "far", faces: [{ model: "dlib-resnet29", vector: at(0.5) }] },
    {
      visitorId: "near",
      faces: [
        { model: "dlib-resnet29", vector: at(0.3) },
        { model: "dlib-resnet29", vector: at(0.97) },
      ],
    },
    { visitorId: "nearer", faces: [{ model: "dlib-resnet29", vector: at(0.99) }] },
  ];
  const m = matchIgnoredVisitor(probe, visitors);
  assert.equal(m?.visitorId, "nearer");
  assert.ok(Math.abs((m?.similarity ?? 0) - 0.99) < 1e-5);
  assert.equal(matchIgnoredVisitor(probe, visitors.slice(0, 2))?.visitorId, "near", "0.97 >= dlib's 0.9406");
  assert.equal(matchIgnoredVisitor(probe, visitors.slice(0, 1)), null, "0.5 is another face");
});

test("the threshold: the model's by default (the flip mode's for a +flip model), or the one configured", () => {
  const visitors = [{ visitorId: "v", faces: [{ model: "dlib-resnet29+flip", vector: at(0.942) }] }];
  const probe = { model: "dlib-resnet29+flip", vector: unit(1, 0, 0) };
  assert.equal(matchIgnoredVisitor(probe, visitors), null, "0.942 is below the flip mode's 0.9441");
  assert.equal(matchIgnoredVisitor(probe, visitors, 0.9)?.visitorId, "v", "a configured 0.9 lets it match");
  assert.equal(matchIgnoredVisitor(probe, visitors, 0.95), null);
  const exact = [{ visitorId: "v", faces: [{ model: "dlib-resnet29+flip", vector: at(0.9441) }] }];
  assert.equal(matchIgnoredVisitor(probe, exact, 0.944)?.visitorId, "v", "at the threshold is a match");
});

test("embeddings of another model or length are never compared; an unknown model matches only with a threshold", () => {
  const same = unit(1, 0, 0);
  assert.equal(
    matchIgnoredVisitor({ model: "dlib-resnet29", vector: same }, [
      { visitorId: "v", faces: [{ model: "faceres", vector: same }] },
    ]),
    null,
  );
  assert.equal(
    matchIgnoredVisitor({ model: "dlib-resnet29", vector: same }, [
      { visitorId: "v", faces: [{ model: "dlib-resnet29", vector: unit(1, 0) }] },
    ]),
    null,
  );
  const custom = [{ visitorId: "v", faces: [{ model: "custom", vector: same }] }];
  assert.equal(matchIgnoredVisitor({ model: "custom", vector: same }, custom), null, "no default threshold for it");
  assert.equal(matchIgnoredVisitor({ model: "custom", vector: same }, custom, 0.8)?.visitorId, "v");
  assert.equal(matchIgnoredVisitor({ model: "dlib-resnet29", vector: same }, []), null, "nobody ignored");
});
