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

test("at an event: greeted once per occurrence, not again after leaving and the cooldown; the next occurrence greets", () => {
  const s = newGreeterState();
  const day1 = [{ occurrenceId: "conf@2026-03-01", endAt: 3_600_000 }];
  const day2 = [{ occurrenceId: "conf@2026-03-02", endAt: 90_000_000 }];
  assert.equal(onRecognized(s, seen("t1"), 0, o, day1).greet, true);
  onTrackConcluded(s, { cameraId: "desk", trackId: "t1" });
  assert.deepEqual(onRecognized(s, seen("t2"), 600_000, o, day1), { greet: false, reason: "greeted-at-event" });
  onTrackConcluded(s, { cameraId: "desk", trackId: "t2" });
  assert.equal(onRecognized(s, seen("t3"), 86_400_000, o, day2).greet, true);
  // another person at the same event is greeted
  assert.equal(onRecognized(s, { ...seen("t4"), personId: "bob" }, 600_000, o, day1).greet, true);
});

test("at an event: a greeting held back by the cooldown does not count as the event's", () => {
  const s = newGreeterState();
  const conf = [{ occurrenceId: "conf@2026-03-01", endAt: 3_600_000 }];
  assert.equal(onRecognized(s, seen("t1"), 0, o).greet, true, "greeted at the door, no event there");
  onTrackConcluded(s, { cameraId: "desk", trackId: "t1" });
  assert.deepEqual(onRecognized(s, seen("t2"), 10_000, o, conf), { greet: false, reason: "cooldown" });
  onTrackConcluded(s, { cameraId: "desk", trackId: "t2" });
  assert.equal(onRecognized(s, seen("t3"), 60_000, o, conf).greet, true, "the event's greeting, once the cooldown is over");
});

test("two events at once: greeted while one of them has not greeted them; events over 6 h ago are forgotten", () => {
  const s = newGreeterState();
  const a = { occurrenceId: "a@d", endAt: 1_000_000 };
  const b = { occurrenceId: "b@d", endAt: 1_000_000 };
  assert.equal(onRecognized(s, seen("t1"), 0, o, [a]).greet, true);
  onTrackConcluded(s, { cameraId: "desk", trackId: "t1" });
  assert.equal(onRecognized(s, seen("t2"), 100_000, o, [a, b]).greet, true);
  onTrackConcluded(s, { cameraId: "desk", trackId: "t2" });
  assert.equal(onRecognized(s, seen("t3"), 200_000, o, [a, b]).greet, false);
  onTrackConcluded(s, { cameraId: "desk", trackId: "t3" });
  onRecognized(s, { ...seen("t9"), personId: "bob" }, 1_000_000 + 6 * 3600_000 + 1, o);
  assert.equal(s.greetedAtEvent.size, 0);
});
