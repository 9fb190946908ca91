import assert from "node:assert/strict";
import { test } from "node:test";
import { type GreetingPolicyOptions, newGreeterState, onRecognized, onTrackConcluded } from "./greetingPolicy.ts";

const o: GreetingPolicyOptions = { cooldownMs: 45_000, staleTrackMs: 120_000 };
const seen = (trackId: string, decision: "confirmed" | "probable" = "confirmed") => ({
  personId: "ann",
  cameraId: "desk",
  trackId,
  decision,
});

test("ten recognitions of one person within a minute produce one greeting", () => {
  const s = newGreeterState();
  const greetings = Array.from({ length: 10 }, (_, i) => onRecognized(s, seen("t1"), i * 6000, o)).filter((d) => d.greet);
  assert.equal(greetings.length, 1);
});

test("not again while they stay in view, even after the cooldown", () => {
  const s = newGreeterState();
  assert.equal(onRecognized(s, seen("t1"), 0, o).greet, true);
  assert.deepEqual(onRecognized(s, seen("t1"), 100_000, o), { greet: false, reason: "in-view" });
});

test("a person who leaves and comes back after the cooldown is greeted again; within it, not", () => {
  const s = newGreeterState();
  assert.equal(onRecognized(s, seen("t1"), 0, o).greet, true);
  onTrackConcluded(s, { cameraId: "desk", trackId: "t1" });
  assert.deepEqual(onRecognized(s, seen("t2"), 30_000, o), { greet: false, reason: "cooldown" });
  onTrackConcluded(s, { cameraId: "desk", trackId: "t2" });
  assert.equal(onRecognized(s, seen("t3"), 46_000, o).greet, true);
});

test("only confirmed recognitions greet (never a 'probable' name)", () => {
  const s = newGreeterState();
  assert.deepEqual(onRecognized(s, seen("t1", "probable"), 0, o), { greet: false, reason: "not-confirmed" });
  assert.equal(onRecognized(s, seen("t1"), 1, o).greet, true);
});

test("a track whose end was never seen stops counting as in view after staleTrackMs", () => {
  const s = newGreeterState();
  assert.equal(onRecognized(s, seen("t1"), 0, o).greet, true);
  assert.equal(onRecognized(s, seen("t2"), 200_000, o).greet, true);
});

test("two people are independent", () => {
  const s = newGreeterState();
  assert.equal(onRecognized(s, seen("t1"), 0, o).greet, true);
  assert.equal(onRecognized(s, { ...seen("t2"), personId: "bob" }, 1, o).greet, true);
});
