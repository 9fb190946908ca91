import assert from "node:assert/strict";
import { test } from "node:test";
import { type Observation, correct, observe, openAttendance } from "./attendance.ts";
import { eventView } from "./event.ts";

const T = (hhmm: string) => Date.parse(`2025-10-01T${hhmm}:00Z`);
const occ = {
  occurrenceId: "conf@2025-10-01",
  sessionId: "conf",
  name: "DevConf",
  date: "2025-10-01",
  kind: "event" as const,
  cameras: ["desk-1", "desk-2"],
  startAt: T("09:00"),
  endAt: T("18:00"),
  graceMinutes: 0,
  shifted: false,
};
const seen = (personId: string | null, trackId: string, hhmm: string, cameraId = "desk-1"): Observation => ({
  trackId,
  cameraId,
  at: T(hhmm),
  personId,
  decision: personId === null ? "unknown" : "confirmed",
  score: 0.7,
});

test("check-in: the first confirmed sighting at any desk, once per guest; counters for registered, checked in, walk-ins", () => {
  const s = openAttendance(occ, ["ann", "bob", "cid"]);
  const first = [
    seen("bob", "t1", "10:30", "desk-2"),
    seen("ann", "t2", "08:50"),
    seen("bob", "t3", "11:00"),
    seen("zed", "t4", "12:00"),
  ];
  const news = first.map((o) => observe(s, o)?.firstConfirmedForPerson);
  assert.deepEqual(news, [true, true, false, true], "bob's second sighting is no second check-in");
  observe(s, seen(null, "u1", "12:01"));
  observe(s, seen(null, "u2", "12:02"));
  const v = eventView(s, T("13:00"));
  assert.deepEqual(v.counters, { registered: 3, checkedIn: 2, waiting: 1, walkInsKnown: 1, walkInsUnknown: 2 });
  assert.deepEqual(
    v.checkedIn.map((c) => [c.personId, c.at, c.cameraId]),
    [
      ["ann", T("08:50"), "desk-1"],
      ["bob", T("10:30"), "desk-2"],
    ],
  );
  assert.deepEqual(v.waiting, ["cid"]);
  assert.deepEqual(
    v.walkIns.map((c) => c.personId),
    ["zed"],
  );
  assert.deepEqual(v.unknownTrackIds, ["u1", "u2"]);
  correct(s, { personId: "cid", action: "mark-present", by: "desk", at: T("13:05") });
  const after = eventView(s, T("13:10"));
  assert.equal(after.counters.checkedIn, 3);
  assert.deepEqual(after.checkedIn.at(-1), {
    personId: "cid",
    at: null,
    cameraId: null,
    score: null,
    registered: true,
    manual: true,
  });
});
