import assert from "node:assert/strict";
import { test } from "node:test";
import { PendingState } from "./pending.ts";
import { QuietPeriod } from "./quiet.ts";

test("quiet period: one alert per camera and kind within the period; other cameras, kinds and camera-less alerts pass", () => {
  const q = new QuietPeriod(60_000);
  assert.equal(q.admit("door", "unknown-at-perimeter", 0), true);
  assert.equal(q.admit("door", "unknown-at-perimeter", 59_999), false);
  assert.equal(q.admit("yard", "unknown-at-perimeter", 1000), true);
  assert.equal(q.admit("door", "watchlisted", 1000), true);
  assert.equal(q.admit(null, "system", 1000), true);
  assert.equal(q.admit(null, "system", 1001), true);
  assert.equal(q.admit("door", "unknown-at-perimeter", 60_000), true);
  assert.equal(q.admit("door", "unknown-at-perimeter", 61_000), false, "the period restarts at the last alert sent");
  assert.equal(new QuietPeriod(0).admit("door", "x", 0) && new QuietPeriod(0).admit("door", "x", 0), true);
});

test("confirmations: once, only for the chat that was asked, only before they expire", () => {
  const p = new PendingState(1000);
  const t = p.confirm(1, { kind: "reset" }, 0);
  assert.match(t, /^[0-9a-f]{12}$/);
  assert.equal(p.takeConfirmation(t, 2, 10), null, "another chat");
  const t2 = p.confirm(1, { kind: "remove", personId: "p-1", name: "Ann" }, 0);
  assert.deepEqual(p.takeConfirmation(t2, 1, 999), { kind: "remove", personId: "p-1", name: "Ann" });
  assert.equal(p.takeConfirmation(t2, 1, 999), null, "used up");
  const t3 = p.confirm(1, { kind: "reset" }, 0);
  assert.equal(p.takeConfirmation(t3, 1, 1000), null, "expired");
});

test("questions: one per chat, taken once, dropped when expired or on logout", () => {
  const p = new PendingState(1000);
  p.ask(1, { kind: "erase-phrase" }, 0);
  p.ask(2, { kind: "enroll-name", alertId: "a" }, 0);
  assert.deepEqual(p.takeQuestion(1, 10), { kind: "erase-phrase" });
  assert.equal(p.takeQuestion(1, 10), null);
  p.forget(2);
  assert.equal(p.takeQuestion(2, 10), null);
  p.ask(3, { kind: "erase-phrase" }, 0);
  assert.equal(p.takeQuestion(3, 1000), null);
});
