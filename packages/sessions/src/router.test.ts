import assert from "node:assert/strict";
import { test } from "node:test";
import { buildRouter, covers, route } from "./router.ts";
import type { Schedulable } from "./schedule.ts";

const Z = (iso: string) => Date.parse(iso);
const session = (sessionId: string, cameras: string[], start: string, end: string, days = [1, 2, 3, 4, 5]): Schedulable => ({
  sessionId,
  name: sessionId,
  kind: "class",
  cameras,
  timeZone: "Europe/Moscow",
  start,
  end,
  firstDate: "2025-09-01",
  recurrence: { kind: "weekly", days, until: "2025-12-31" },
  exceptions: [],
  roster: { groups: [], people: ["p"] },
  graceMinutes: 5,
  cancelled: false,
  cancelledDates: [],
});

test("route: the occurrences at that camera whose window [start - early, end] holds the instant", () => {
  const sessions = [
    session("math", ["r1", "r2"], "09:00", "10:30"),
    session("physics", ["r1"], "10:40", "12:10"),
    session("chem", ["r3"], "09:00", "10:30", [1]),
  ];
  const r = buildRouter(sessions, Z("2025-09-01T00:00:00Z"), Z("2025-09-08T00:00:00Z"), 15);
  const at = (camera: string, iso: string) => route(r, camera, Z(iso)).map((o) => o.occurrenceId);
  // 09:00 Moscow = 06:00 UTC
  assert.deepEqual(at("r1", "2025-09-01T05:44:59Z"), []);
  assert.deepEqual(at("r1", "2025-09-01T05:45:00Z"), ["math@2025-09-01"]);
  assert.deepEqual(at("r2", "2025-09-02T07:00:00Z"), ["math@2025-09-02"]);
  assert.deepEqual(
    at("r1", "2025-09-01T07:30:00Z"),
    ["math@2025-09-01", "physics@2025-09-01"],
    "the end of one, the early window of the next",
  );
  assert.deepEqual(at("r3", "2025-09-02T06:30:00Z"), [], "chem is on Mondays");
  assert.deepEqual(at("r9", "2025-09-01T06:30:00Z"), []);
  assert.deepEqual(at("r1", "2025-09-06T06:30:00Z"), [], "a Saturday");
  assert.equal(r.occurrences.length, 5 + 5 + 1);
  assert.ok(covers(r, Z("2025-09-07T23:59:59Z")) && !covers(r, Z("2025-09-08T00:00:00Z")));
});

test("route agrees with a scan of every occurrence at every minute of a week", () => {
  const sessions = [
    session("a", ["r1"], "08:00", "09:30"),
    session("b", ["r1", "r2"], "09:20", "11:00", [1, 3]),
    session("c", ["r2"], "23:00", "23:59", [0, 6]),
  ];
  const from = Z("2025-09-01T00:00:00Z");
  const to = Z("2025-09-08T00:00:00Z");
  const r = buildRouter(sessions, from, to, 15);
  for (let t = from; t < to; t += 60_000) {
    for (const camera of ["r1", "r2"]) {
      const scan = r.occurrences
        .filter((o) => o.cameras.includes(camera) && t >= o.startAt - 15 * 60_000 && t <= o.endAt)
        .map((o) => o.occurrenceId);
      assert.deepEqual(
        route(r, camera, t).map((o) => o.occurrenceId),
        scan,
      );
    }
  }
});
