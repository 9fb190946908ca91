import assert from "node:assert/strict";
import { test } from "node:test";
import { decideOneShot } from "./oneShot.ts";
import { TEST_VOTE } from "../test/helpers.ts";

const o = TEST_VOTE;
const best = (similarity: number, margin = 0.1) => ({ personId: "ann", name: "Ann", similarity, margin });

test("a photo's face is named at the single-shot threshold, as a one-shot track is", () => {
  assert.deepEqual(decideOneShot(best(0.96), o), {
    decision: "named",
    personId: "ann",
    name: "Ann",
    similarity: 0.96,
    margin: 0.1,
  });
  assert.equal(decideOneShot(best(0.95), o).decision, "named");
});

test("between the probable and the single-shot threshold: probable; below: unknown with the closest similarity", () => {
  assert.equal(decideOneShot(best(0.93), o).decision, "probable");
  assert.equal(decideOneShot(best(0.87), o).decision, "probable");
  assert.deepEqual(decideOneShot(best(0.8), o), {
    decision: "unknown",
    personId: null,
    name: null,
    similarity: 0.8,
    margin: 0.1,
  });
});

test("too small a lead over the next person is never named nor probable; an empty gallery is unknown", () => {
  assert.equal(decideOneShot(best(0.99, 0.01), o).decision, "unknown");
  assert.deepEqual(decideOneShot(null, o), { decision: "unknown", personId: null, name: null, similarity: null, margin: null });
});

test("with one agreeing shot enough (minAgreeing 1) the naming threshold names it", () => {
  assert.equal(decideOneShot(best(0.91), { ...o, minAgreeing: 1 }).decision, "named");
});
