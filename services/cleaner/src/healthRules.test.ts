import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConsumerSample, evaluateHealth, markRaised, newHealthState } from "./healthRules.ts";

const o = { pendingThreshold: 100, redeliveredThreshold: 5, consecutive: 3 };
const consumer = (numPending: number, numRedelivered = 0): ConsumerSample => ({
  stream: "DETECTIONS",
  durable: "recognizers",
  numPending,
  numRedelivered,
  numAckPending: 0,
});

/** Runs rounds of one consumer's samples; returns the round numbers that raised and resolved. */
function rounds(samples: ConsumerSample[]) {
  const state = newHealthState();
  const raised: number[] = [];
  const resolved: number[] = [];
  samples.forEach((s, i) => {
    const d = evaluateHealth(state, [s], [], o);
    for (const r of d.raise) {
      raised.push(i);
      markRaised(state, r.key, `alert-${i}`);
    }
    for (const _ of d.resolve) resolved.push(i);
  });
  return { raised, resolved };
}

test("a backlog above the threshold that does not shrink for 3 checks raises once; it resolves after 3 clear checks", () => {
  const r = rounds([150, 160, 170, 180, 190, 50, 40, 30, 20].map((n) => consumer(n)));
  assert.deepEqual(r, { raised: [2], resolved: [7] });
});

test("a large backlog that is draining is not an alert; one that flaps under the threshold does not raise", () => {
  assert.deepEqual(rounds([500, 400, 300, 200, 150].map((n) => consumer(n))).raised, []);
  assert.deepEqual(rounds([150, 160, 90, 170, 180, 50].map((n) => consumer(n))).raised, []);
});

test("redeliveries above the threshold for 3 checks raise once", () => {
  const r = rounds([6, 7, 8, 9, 9, 0, 0, 0].map((n) => consumer(0, n)));
  assert.deepEqual(r, { raised: [2], resolved: [7] });
});

test("dead letters: the first check records what exists; a newer one raises at once; none while it holds; resolves after quiet checks", () => {
  const state = newHealthState();
  const dl = (lastSeq: number) => [{ subject: "deadletter.SIGHTINGS.greeter", lastSeq, count: lastSeq }];
  assert.deepEqual(evaluateHealth(state, [], dl(4), o).raise, [], "old dead letters at the very first check");
  const d1 = evaluateHealth(state, [], dl(5), o);
  assert.equal(d1.raise.length, 1);
  markRaised(state, d1.raise[0]?.key ?? "", "a1");
  assert.deepEqual(evaluateHealth(state, [], dl(6), o).raise, []);
  assert.deepEqual(evaluateHealth(state, [], dl(6), o).resolve, []);
  assert.deepEqual(evaluateHealth(state, [], dl(6), o).resolve, []);
  assert.deepEqual(
    evaluateHealth(state, [], dl(6), o).resolve.map((r) => r.alertId),
    ["a1"],
  );
  // a consumer seen for the first time later (state already initialised) raises on its first dead letter
  const other = evaluateHealth(state, [], [...dl(6), { subject: "deadletter.COMMANDS.removal", lastSeq: 9, count: 1 }], o);
  assert.deepEqual(
    other.raise.map((r) => r.key),
    ["dead-letters:deadletter.COMMANDS.removal"],
  );
});

test("a consumer that disappears while alerted resolves after the quiet checks", () => {
  const state = newHealthState();
  for (let i = 0; i < 3; i++) {
    const d = evaluateHealth(state, [consumer(200 + i)], [], o);
    for (const r of d.raise) markRaised(state, r.key, "gone");
  }
  const resolved = [0, 1, 2].flatMap(() => evaluateHealth(state, [], [], o).resolve.map((r) => r.alertId));
  assert.deepEqual(resolved, ["gone"]);
  assert.deepEqual(state.conditions, {});
});
