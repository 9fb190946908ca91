import assert from "node:assert/strict";
import { test } from "node:test";
import { AlertRules, DEFAULT_RULES, type Sighting, evaluate, newRulesState, outsideSchedule } from "./rules.ts";

const T0 = Date.parse("2026-03-02T10:00:00Z"); // a Monday
const rules = AlertRules.parse({
  cameras: {
    gate: { role: "perimeter" },
    hall: { role: "entrance", schedule: { days: [1, 2, 3, 4, 5], from: "08:00", to: "18:00" } },
  },
  rules: [...DEFAULT_RULES.rules, { id: "after-hours-hall", kind: "after-hours", severity: "low", cameras: ["hall"] }],
});
const none = () => null;
const unknown = (cameraId: string, trackId: string, at = T0, ignoredVisitor: string | null = null): Sighting => ({
  kind: "unknown",
  cameraId,
  trackId,
  at,
  sightingId: `s-${trackId}-${at}`,
  ignoredVisitor,
});
const known = (
  cameraId: string,
  trackId: string,
  personId: string,
  at = T0,
  decision: "confirmed" | "probable" = "confirmed",
): Sighting => ({
  kind: "recognized",
  cameraId,
  trackId,
  personId,
  personName: personId.toUpperCase(),
  decision,
  at,
  sightingId: `s-${trackId}`,
});

test("an unknown visitor at a perimeter camera raises one alert per visit, after enough unknown shots", () => {
  const s = newRulesState();
  assert.deepEqual(evaluate(rules, s, unknown("gate", "t1"), none), [], "one unknown shot is not enough");
  const a = evaluate(rules, s, unknown("gate", "t1", T0 + 1000), none);
  assert.equal(a.length, 1);
  assert.equal(a[0]?.ruleId, "unknown-perimeter");
  assert.equal(a[0]?.severity, "medium");
  assert.deepEqual(evaluate(rules, s, unknown("gate", "t1", T0 + 2000), none), [], "same visit: no second alert");
});

test("unknown faces at a non-perimeter camera raise nothing; a recognized track raises nothing", () => {
  const s = newRulesState();
  evaluate(rules, s, unknown("hall", "t1"), none);
  assert.deepEqual(evaluate(rules, s, unknown("hall", "t1"), none), []);
  evaluate(rules, s, known("gate", "t2", "ann"), none);
  evaluate(rules, s, unknown("gate", "t2"), none);
  assert.deepEqual(evaluate(rules, s, unknown("gate", "t2"), none), [], "a person's poor shots do not make them a stranger");
});

test("a single-shot unknown track still alerts when it concludes unknown", () => {
  const s = newRulesState();
  evaluate(rules, s, unknown("gate", "t1"), none);
  const a = evaluate(rules, s, { kind: "concluded", cameraId: "gate", trackId: "t1", outcome: "unknown", at: T0 + 5000 }, none);
  assert.equal(a.length, 1);
});

test("an ignored visitor's track raises no unknown-at-perimeter alert, nor when it concludes unknown", () => {
  const s = newRulesState();
  const ignoredFace = (at: number): Sighting => unknown("gate", "t1", at, "v-1");
  assert.deepEqual(evaluate(rules, s, ignoredFace(T0), none), []);
  assert.deepEqual(evaluate(rules, s, ignoredFace(T0 + 1000), none), [], "two unknown shots, but an ignored visitor");
  assert.equal(s.tracks.get("gate/t1")?.ignoredVisitor, "v-1", "the track is marked");
  assert.deepEqual(
    evaluate(rules, s, unknown("gate", "t1", T0 + 2000), none),
    [],
    "a later shot that did not match is still the ignored visitor's track",
  );
  const end = { kind: "concluded" as const, cameraId: "gate", trackId: "t1", outcome: "unknown" as const, at: T0 + 5000 };
  assert.deepEqual(evaluate(rules, s, end, none), []);
  // another unknown at the same camera still alerts
  evaluate(rules, s, unknown("gate", "t2", T0 + 6000), none);
  assert.equal(evaluate(rules, s, unknown("gate", "t2", T0 + 7000), none)[0]?.ruleId, "unknown-perimeter");
});

test("a track marked by a later shot: the alert already raised stays, nothing more", () => {
  const s = newRulesState();
  evaluate(rules, s, unknown("gate", "t1"), none);
  assert.equal(evaluate(rules, s, unknown("gate", "t1", T0 + 1000), none).length, 1);
  assert.deepEqual(evaluate(rules, s, unknown("gate", "t1", T0 + 2000, "v-1"), none), []);
  const end = { kind: "concluded" as const, cameraId: "gate", trackId: "t1", outcome: "unknown" as const, at: T0 + 20 * 60_000 };
  assert.deepEqual(evaluate(rules, s, end, none), [], "past the dedupe window, the conclusion raises nothing either");
});

test("an ignored visitor after hours raises no after-hours alert; a person on the same track still does", () => {
  const s = newRulesState();
  const sunday = Date.parse("2026-03-01T10:00:00Z");
  assert.deepEqual(evaluate(rules, s, unknown("hall", "t3", sunday, "v-1"), none), []);
  assert.equal(evaluate(rules, s, unknown("hall", "t4", sunday), none)[0]?.kind, "after-hours", "another stranger does");
  assert.equal(evaluate(rules, s, known("hall", "t3", "ann", sunday + 1000), none)[0]?.kind, "after-hours");
});

test("a watchlisted person raises a high-severity alert anywhere, once per dedupe window", () => {
  const s = newRulesState();
  const watch = (id: string) => (id === "mallory" ? { reason: "banned" } : null);
  const a = evaluate(rules, s, known("hall", "t1", "mallory"), watch);
  assert.equal(a.length, 1);
  assert.equal(a[0]?.severity, "high");
  assert.match(a[0]?.message ?? "", /banned/);
  assert.deepEqual(evaluate(rules, s, known("gate", "t2", "mallory", T0 + 60_000), watch), [], "within 10 minutes");
  assert.equal(evaluate(rules, s, known("gate", "t3", "mallory", T0 + 11 * 60_000), watch).length, 1);
  assert.deepEqual(
    evaluate(rules, s, known("gate", "t4", "mallory", T0 + 30 * 60_000, "probable"), watch),
    [],
    "only confirmed names alert",
  );
});

test("anyone at a scheduled camera after hours raises an alert", () => {
  const s = newRulesState();
  assert.deepEqual(evaluate(rules, s, known("hall", "t1", "ann", T0), none), [], "10:00 Monday is open");
  const evening = Date.parse("2026-03-02T19:30:00Z");
  assert.equal(evaluate(rules, s, known("hall", "t2", "ann", evening), none)[0]?.ruleId, "after-hours-hall");
  const sunday = Date.parse("2026-03-01T10:00:00Z");
  assert.equal(evaluate(rules, s, unknown("hall", "t3", sunday), none)[0]?.kind, "after-hours");
});

test("schedules: windows crossing midnight and UTC offsets", () => {
  const night = { days: [1], from: "22:00", to: "06:00", utcOffsetMinutes: 0 };
  assert.equal(outsideSchedule(night, Date.parse("2026-03-02T23:00:00Z")), false, "Monday 23:00 is inside");
  assert.equal(outsideSchedule(night, Date.parse("2026-03-03T05:00:00Z")), false, "Tuesday 05:00 belongs to Monday's night");
  assert.equal(outsideSchedule(night, Date.parse("2026-03-03T23:00:00Z")), true, "Tuesday night is not scheduled");
  const moscow = { days: [1], from: "09:00", to: "18:00", utcOffsetMinutes: 180 };
  assert.equal(outsideSchedule(moscow, Date.parse("2026-03-02T06:30:00Z")), false, "09:30 local");
  assert.equal(outsideSchedule(moscow, Date.parse("2026-03-02T15:30:00Z")), true, "18:30 local");
});

test("rules are validated with clear errors", () => {
  const bad = AlertRules.safeParse({
    cameras: {},
    rules: [
      { id: "x", kind: "watchlisted", severity: "high" },
      { id: "x", kind: "after-hours", severity: "urgent" },
    ],
  });
  assert.equal(bad.success, false);
  const messages = bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n") ?? "";
  assert.match(messages, /rules\.1\.severity/);
  assert.equal(
    AlertRules.safeParse({ rules: [{ id: "a", kind: "after-hours", severity: "low" }] }).success,
    false,
    "after-hours needs a schedule",
  );
  assert.equal(
    AlertRules.safeParse({ rules: [{ id: "a", kind: "watchlisted", severity: "low", extra: 1 }] }).success,
    false,
    "unknown keys rejected",
  );
});
