import assert from "node:assert/strict";
import { test } from "node:test";
import type { Schedulable } from "@persona/sessions";
import { eventsAt } from "./eventSessions.ts";

const weekly = (more: Partial<Schedulable> = {}): Schedulable => ({
  sessionId: "conf",
  name: "Conference",
  kind: "event",
  cameras: ["desk", "hall"],
  timeZone: "Europe/Moscow",
  start: "10:00",
  end: "12:00",
  firstDate: "2026-03-02",
  // Mondays and Tuesdays
  recurrence: { kind: "weekly", days: [1, 2], until: "2026-03-31" },
  exceptions: [],
  roster: { groups: [], people: ["ann"] },
  graceMinutes: 0,
  cancelled: false,
  cancelledDates: [],
  ...more,
});
// 10:00 in Moscow is 07:00 UTC
const at = (iso: string) => Date.parse(iso);

test("an event's occurrence holds a recognition at its cameras from start - early to its end", () => {
  const s = [weekly()];
  assert.deepEqual(eventsAt(s, "desk", at("2026-03-02T06:45:00Z"), 15), [
    { occurrenceId: "conf@2026-03-02", endAt: at("2026-03-02T09:00:00Z") },
  ]);
  assert.deepEqual(eventsAt(s, "desk", at("2026-03-02T06:44:59Z"), 15), [], "before the early window");
  assert.equal(eventsAt(s, "hall", at("2026-03-02T09:00:00Z"), 15).length, 1, "at its end");
  assert.deepEqual(eventsAt(s, "hall", at("2026-03-02T09:00:01Z"), 15), [], "after it");
  assert.deepEqual(eventsAt(s, "door", at("2026-03-02T08:00:00Z"), 15), [], "another camera");
  assert.deepEqual(eventsAt(s, "desk", at("2026-03-04T08:00:00Z"), 15), [], "a Wednesday");
  assert.equal(eventsAt(s, "desk", at("2026-03-03T08:00:00Z"), 0)[0]?.occurrenceId, "conf@2026-03-03");
});

test("classes and exams, cancelled series and dates, exceptions: no event", () => {
  const t = at("2026-03-02T08:00:00Z");
  assert.deepEqual(eventsAt([weekly({ kind: "class" }), weekly({ kind: "exam" })], "desk", t, 15), []);
  assert.deepEqual(eventsAt([weekly({ cancelled: true })], "desk", t, 15), []);
  assert.deepEqual(eventsAt([weekly({ cancelledDates: ["2026-03-02"] })], "desk", t, 15), []);
  assert.deepEqual(eventsAt([weekly({ exceptions: ["2026-03-02"] })], "desk", t, 15), []);
});
