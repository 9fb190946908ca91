import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Schedulable,
  dayOfWeek,
  isTimeZone,
  localDateOf,
  localToInstant,
  occurrenceOn,
  occurrencesBetween,
  zoneOffsetMs,
} from "./schedule.ts";

const at = (iso: string) => Date.parse(iso);
const isoOf = (ms: number) => new Date(ms).toISOString();

const session = (over: Partial<Schedulable> = {}): Schedulable => ({
  sessionId: "s1",
  name: "Algebra",
  kind: "class",
  cameras: ["cam-a"],
  timeZone: "Europe/Berlin",
  start: "09:00",
  end: "10:00",
  firstDate: "2025-03-01",
  recurrence: { kind: "weekly", days: [0], until: "2025-12-31" },
  exceptions: [],
  roster: { groups: [], people: ["p1"] },
  graceMinutes: 10,
  cancelled: false,
  cancelledDates: [],
  ...over,
});

const starts = (s: Schedulable, from: string, to: string) =>
  occurrencesBetween(s, at(from), at(to)).map((o) => [o.date, isoOf(o.startAt), isoOf(o.endAt)]);

test("time zones: Intl's IANA names are known, anything else is not", () => {
  assert.ok(isTimeZone("Europe/Moscow"));
  assert.ok(isTimeZone("America/New_York"));
  assert.ok(!isTimeZone("Mars/Olympus_Mons"));
  assert.ok(!isTimeZone(""));
});

test("offsets: Moscow +3 now and +4 before 26 October 2014; Berlin +1 in winter, +2 in summer", () => {
  assert.equal(zoneOffsetMs("Europe/Moscow", at("2025-01-15T12:00:00Z")), 3 * 3600_000);
  assert.equal(zoneOffsetMs("Europe/Moscow", at("2014-10-20T12:00:00Z")), 4 * 3600_000);
  assert.equal(zoneOffsetMs("Europe/Berlin", at("2025-01-15T12:00:00Z")), 3600_000);
  assert.equal(zoneOffsetMs("Europe/Berlin", at("2025-07-15T12:00:00Z")), 2 * 3600_000);
  assert.equal(localDateOf(at("2025-01-15T22:30:00Z"), "Europe/Moscow"), "2025-01-16");
  assert.equal(dayOfWeek("2025-03-30"), 0);
});

test("Moscow: a Monday/Wednesday class at 09:00 is at 06:00 UTC, and at 05:00 UTC before the 2014 change", () => {
  const s = session({ timeZone: "Europe/Moscow", recurrence: { kind: "weekly", days: [1, 3], until: "2025-12-31" } });
  assert.deepEqual(starts(s, "2025-03-03T00:00:00Z", "2025-03-06T00:00:00Z"), [
    ["2025-03-03", "2025-03-03T06:00:00.000Z", "2025-03-03T07:00:00.000Z"],
    ["2025-03-05", "2025-03-05T06:00:00.000Z", "2025-03-05T07:00:00.000Z"],
  ]);
  const old = session({
    timeZone: "Europe/Moscow",
    firstDate: "2014-10-01",
    recurrence: { kind: "weekly", days: [1], until: "2014-11-30" },
  });
  assert.deepEqual(starts(old, "2014-10-19T00:00:00Z", "2014-10-28T00:00:00Z"), [
    ["2014-10-20", "2014-10-20T05:00:00.000Z", "2014-10-20T06:00:00.000Z"],
    ["2014-10-27", "2014-10-27T06:00:00.000Z", "2014-10-27T07:00:00.000Z"],
  ]);
});

test("Berlin: a Sunday class keeps 09:00 local across the last Sundays of March and October", () => {
  const s = session();
  assert.deepEqual(starts(s, "2025-03-22T00:00:00Z", "2025-04-07T00:00:00Z"), [
    ["2025-03-23", "2025-03-23T08:00:00.000Z", "2025-03-23T09:00:00.000Z"],
    ["2025-03-30", "2025-03-30T07:00:00.000Z", "2025-03-30T08:00:00.000Z"],
    ["2025-04-06", "2025-04-06T07:00:00.000Z", "2025-04-06T08:00:00.000Z"],
  ]);
  assert.deepEqual(starts(s, "2025-10-18T00:00:00Z", "2025-11-03T00:00:00Z"), [
    ["2025-10-19", "2025-10-19T07:00:00.000Z", "2025-10-19T08:00:00.000Z"],
    ["2025-10-26", "2025-10-26T08:00:00.000Z", "2025-10-26T09:00:00.000Z"],
    ["2025-11-02", "2025-11-02T08:00:00.000Z", "2025-11-02T09:00:00.000Z"],
  ]);
});

test("New York: 09:00 is 14:00 UTC before 9 March 2025 and 13:00 UTC after, back to 14:00 after 2 November", () => {
  const s = session({ timeZone: "America/New_York", recurrence: { kind: "weekly", days: [1, 5], until: "2025-12-31" } });
  assert.deepEqual(
    starts(s, "2025-03-07T00:00:00Z", "2025-03-11T00:00:00Z").map((o) => o[1]),
    ["2025-03-07T14:00:00.000Z", "2025-03-10T13:00:00.000Z"],
  );
  assert.deepEqual(
    starts(s, "2025-10-31T00:00:00Z", "2025-11-04T00:00:00Z").map((o) => o[1]),
    ["2025-10-31T13:00:00.000Z", "2025-11-03T14:00:00.000Z"],
  );
});

test("a spring-forward gap: a nonexistent time becomes the end of the gap (shifted); a session inside the gap does not take place", () => {
  assert.deepEqual(localToInstant("2025-03-30", "02:30", "Europe/Berlin"), { at: at("2025-03-30T01:00:00Z"), shifted: true });
  assert.deepEqual(localToInstant("2025-03-09", "02:15", "America/New_York"), { at: at("2025-03-09T07:00:00Z"), shifted: true });
  assert.deepEqual(localToInstant("2025-03-30", "03:00", "Europe/Berlin"), { at: at("2025-03-30T01:00:00Z"), shifted: false });
  const night = session({ start: "02:30", end: "03:30" });
  const o = occurrenceOn(night, "2025-03-30");
  assert.equal(o && isoOf(o.startAt), "2025-03-30T01:00:00.000Z");
  assert.equal(o && isoOf(o.endAt), "2025-03-30T01:30:00.000Z");
  assert.equal(o?.shifted, true);
  assert.equal(occurrenceOn(night, "2025-03-23")?.shifted, false);
  assert.equal(occurrenceOn(session({ start: "02:10", end: "02:50" }), "2025-03-30"), null);
});

test("a fall-back overlap: a time that happens twice is the first of the two", () => {
  assert.deepEqual(localToInstant("2025-10-26", "02:30", "Europe/Berlin"), { at: at("2025-10-26T00:30:00Z"), shifted: false });
  assert.deepEqual(localToInstant("2025-11-02", "01:30", "America/New_York"), { at: at("2025-11-02T05:30:00Z"), shifted: false });
  const o = occurrenceOn(session({ start: "02:00", end: "03:00" }), "2025-10-26");
  assert.equal(o && (o.endAt - o.startAt) / 60_000, 120, "02:00 CEST to 03:00 CET is two hours");
});

test("weekly recurrence: only its days, from the first date through until, without exceptions and cancelled dates", () => {
  const s = session({
    timeZone: "UTC",
    firstDate: "2025-09-02",
    recurrence: { kind: "weekly", days: [2, 4], until: "2025-09-16" },
    exceptions: ["2025-09-09"],
    cancelledDates: ["2025-09-11"],
  });
  const all = occurrencesBetween(s, at("2025-08-01T00:00:00Z"), at("2025-10-01T00:00:00Z"));
  assert.deepEqual(
    all.map((o) => o.occurrenceId),
    ["s1@2025-09-02", "s1@2025-09-04", "s1@2025-09-16"],
  );
  assert.equal(occurrenceOn(s, "2025-09-18"), null, "after until");
  assert.equal(occurrenceOn(s, "2025-09-03"), null, "a Wednesday");
  assert.equal(occurrencesBetween({ ...s, cancelled: true }, at("2025-08-01T00:00:00Z"), at("2025-10-01T00:00:00Z")).length, 0);
});

test("a single session happens on its first date only; the window keeps the occurrences that overlap it", () => {
  const s = session({ timeZone: "UTC", firstDate: "2025-05-05", recurrence: { kind: "none" } });
  assert.deepEqual(
    starts(s, "2025-05-01T00:00:00Z", "2025-06-01T00:00:00Z").map((o) => o[0]),
    ["2025-05-05"],
  );
  assert.equal(starts(s, "2025-05-05T09:59:00Z", "2025-05-05T11:00:00Z").length, 1, "overlapping its end");
  assert.equal(starts(s, "2025-05-05T10:00:00Z", "2025-05-05T11:00:00Z").length, 0, "from its end on");
  assert.equal(starts(s, "2025-05-05T08:00:00Z", "2025-05-05T09:00:00Z").length, 0, "until its start");
  const o = occurrenceOn(s, "2025-05-05");
  assert.deepEqual(o && { ...o, startAt: isoOf(o.startAt), endAt: isoOf(o.endAt) }, {
    occurrenceId: "s1@2025-05-05",
    sessionId: "s1",
    name: "Algebra",
    date: "2025-05-05",
    kind: "class",
    cameras: ["cam-a"],
    startAt: "2025-05-05T09:00:00.000Z",
    endAt: "2025-05-05T10:00:00.000Z",
    graceMinutes: 10,
    shifted: false,
  });
});
