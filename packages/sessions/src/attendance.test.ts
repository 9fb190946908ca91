import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AttendanceState,
  type Observation,
  attendanceView,
  correct,
  observe,
  openAttendance,
  personRow,
} from "./attendance.ts";
import type { Occurrence } from "./schedule.ts";

const T = (hhmm: string) => Date.parse(`2025-09-01T${hhmm}:00Z`);
const occurrence = (over: Partial<Occurrence> = {}): Occurrence => ({
  occurrenceId: "s1@2025-09-01",
  sessionId: "s1",
  name: "Algebra",
  date: "2025-09-01",
  kind: "class",
  cameras: ["cam-a", "cam-b"],
  startAt: T("09:00"),
  endAt: T("10:30"),
  graceMinutes: 10,
  shifted: false,
  ...over,
});
const seen = (personId: string | null, hhmm: string, over: Partial<Observation> = {}): Observation => ({
  trackId: `t-${personId ?? "u"}-${hhmm.replace(":", "")}`,
  cameraId: "cam-a",
  at: T(hhmm),
  personId,
  decision: personId === null ? "unknown" : "confirmed",
  score: 0.8,
  ...over,
});

function fold(roster: string[], observations: Observation[], occ = occurrence()): AttendanceState {
  const s = openAttendance(occ, roster);
  for (const o of observations) observe(s, o);
  return s;
}
const ids = (rows: { personId: string }[]) => rows.map((r) => r.personId);

test("statuses: present up to start + grace (early arrivals too), late after it, absent at the end, not yet seen before it", () => {
  const s = fold(
    ["ann", "bob", "cid", "dan", "eve"],
    [seen("ann", "08:50"), seen("bob", "09:10"), seen("cid", "09:10", { at: T("09:10") + 1 }), seen("dan", "08:40")],
  );
  const running = attendanceView(s, T("09:30"));
  assert.equal(running.phase, "running");
  assert.deepEqual(ids(running.present), ["ann", "bob"], "08:50 (early) and 09:10 (the grace's last instant)");
  assert.deepEqual(ids(running.late), ["cid"]);
  assert.deepEqual(ids(running.notYetSeen), ["dan", "eve"], "08:40 is before the 15-minute early window");
  assert.deepEqual(running.absent, []);
  const ended = attendanceView(s, T("10:30"));
  assert.equal(ended.phase, "ended");
  assert.deepEqual(ids(ended.absent), ["dan", "eve"]);
  assert.deepEqual(ended.notYetSeen, []);
  assert.equal(attendanceView(s, T("08:00")).phase, "upcoming");
});

test("observations outside the occurrence's cameras or window change nothing", () => {
  const s = openAttendance(occurrence(), ["ann"]);
  assert.equal(observe(s, seen("ann", "09:05", { cameraId: "cam-z" })), null);
  assert.equal(observe(s, seen("ann", "10:31")), null);
  assert.equal(observe(s, seen("ann", "08:44")), null);
  assert.equal(s.observations, 0);
  assert.deepEqual(s.people, {});
  assert.notEqual(observe(s, seen("ann", "10:30")), null, "the end itself counts");
});

test("a track counts from its first frame once confirmed; best score and crop are the best confirmed sighting", () => {
  const s = fold(
    ["ann"],
    [
      seen("ann", "09:05", { trackId: "t1", decision: "probable", score: 0.55, crop: "c1" }),
      seen("ann", "09:20", { trackId: "t1", decision: "confirmed", score: 0.7, crop: "c2" }),
      seen("ann", "09:40", { trackId: "t2", cameraId: "cam-b", score: 0.9, crop: "c3" }),
    ],
  );
  const row = personRow(s, "ann", T("09:45"));
  assert.equal(row.status, "present", "t1 was confirmed and began at 09:05");
  assert.equal(row.firstSeenAt, T("09:05"));
  assert.deepEqual([row.bestScore, row.bestTrackId, row.bestCrop, row.cameraId, row.tracks], [0.9, "t2", "c3", "cam-b", 2]);
});

test("probable only: never present, listed apart (on the roster: still absent; off it: not unexpected)", () => {
  const s = fold(
    ["ann"],
    [seen("ann", "09:01", { decision: "probable", score: 0.5 }), seen("zed", "09:02", { decision: "probable", score: 0.45 })],
  );
  const v = attendanceView(s, T("10:30"));
  assert.deepEqual(ids(v.absent), ["ann"]);
  assert.deepEqual(ids(v.probableOnly), ["ann", "zed"]);
  assert.deepEqual(v.unexpected, []);
  assert.equal(v.probableOnly[0]?.bestScore, 0.5);
  assert.equal(v.probableOnly[0]?.firstSeenAt, null);
});

test("unexpected: confirmed but not on the roster; unknown faces are tracks that never named anyone", () => {
  const s = fold(
    ["ann"],
    [
      seen("ann", "09:00"),
      seen("zed", "09:30"),
      seen(null, "09:01", { trackId: "u1" }),
      seen(null, "09:02", { trackId: "u1", score: 0.9, crop: "best" }),
      seen(null, "09:03", { trackId: "u2" }),
      seen("bob", "09:04", { trackId: "u2", decision: "probable" }),
    ],
  );
  const v = attendanceView(s, T("09:45"));
  assert.deepEqual(ids(v.unexpected), ["zed"]);
  assert.equal(v.unexpected[0]?.status, "late");
  assert.equal(v.unknownTracks.count, 1, "u2 later named bob (probably): not an unknown face");
  assert.deepEqual(v.unknownTracks.tracks[0], {
    trackId: "u1",
    cameraId: "cam-a",
    firstAt: T("09:01"),
    lastAt: T("09:02"),
    bestScore: 0.9,
    bestCrop: "best",
  });
});

test("excuse: an excused absentee is excused; a person who came anyway is present", () => {
  const s = fold(["ann", "bob"], [seen("bob", "09:05")]);
  for (const personId of ["ann", "bob"]) correct(s, { personId, action: "excuse", by: "teacher", at: T("08:00") });
  const v = attendanceView(s, T("10:30"));
  assert.deepEqual(ids(v.excused), ["ann"]);
  assert.deepEqual(v.excused[0]?.manual, { action: "excuse", by: "teacher", at: T("08:00") });
  assert.deepEqual(ids(v.present), ["bob"]);
  assert.deepEqual(v.absent, []);
});

test("mark-present: present whatever the evidence, with who did it; undo takes it back", () => {
  const s = fold(["ann", "bob"], [seen("bob", "09:40")]);
  correct(s, { personId: "ann", action: "mark-present", by: "teacher", at: T("09:50") });
  correct(s, { personId: "bob", action: "mark-present", by: "teacher", at: T("09:50") });
  let v = attendanceView(s, T("10:30"));
  assert.deepEqual(ids(v.present), ["bob", "ann"], "bob by arrival, ann (no sighting) after");
  assert.equal(v.present[1]?.manual?.by, "teacher");
  correct(s, { personId: "bob", action: "undo", by: "teacher", at: T("09:55") });
  v = attendanceView(s, T("10:30"));
  assert.deepEqual(ids(v.late), ["bob"]);
});

test("reject-recognition: the track's evidence goes, a negative is recorded; undo brings both back", () => {
  const s = fold(
    ["ann"],
    [seen("ann", "09:02", { trackId: "wrong", score: 0.95 }), seen("ann", "09:20", { trackId: "right", score: 0.7 })],
  );
  const effects = correct(s, { personId: "ann", action: "reject-recognition", trackId: "wrong", by: "teacher", at: T("09:30") });
  const negative = { personId: "ann", trackId: "wrong", by: "teacher", at: T("09:30") };
  assert.deepEqual(effects, [{ kind: "negative", negative }]);
  let row = personRow(s, "ann", T("09:30"));
  assert.deepEqual([row.status, row.bestTrackId, row.firstSeenAt], ["late", "right", T("09:20")]);
  observe(s, seen("ann", "09:31", { trackId: "wrong", score: 0.99 }));
  assert.equal(personRow(s, "ann", T("09:32")).bestTrackId, "right", "a rejected track gathers no more evidence for her");
  assert.deepEqual(attendanceView(s, T("09:32")).negatives, [negative]);
  assert.deepEqual(correct(s, { personId: "ann", action: "undo", by: "teacher", at: T("09:40") }), [
    { kind: "negative-withdrawn", negative },
  ]);
  row = personRow(s, "ann", T("09:41"));
  assert.deepEqual([row.status, row.bestTrackId], ["present", "wrong"]);
  assert.deepEqual(s.negatives, []);
});

test("rejecting the only recognition of an unexpected person removes them", () => {
  const s = fold(["ann"], [seen("zed", "09:05", { trackId: "z1" })]);
  correct(s, { personId: "zed", action: "reject-recognition", trackId: "z1", by: "t", at: T("09:10") });
  assert.deepEqual(attendanceView(s, T("09:10")).unexpected, []);
});

test("the state is plain JSON: a copy through JSON gives the same view, and folding the rest into either agrees", () => {
  const first = [seen("ann", "09:05"), seen(null, "09:06"), seen("bob", "09:20", { decision: "probable" })];
  const rest = [seen("bob", "09:25"), seen("cid", "09:00")];
  const a = fold(["ann", "bob"], first);
  correct(a, { personId: "ann", action: "reject-recognition", trackId: "t-ann-0905", by: "t", at: T("09:10") });
  const b = JSON.parse(JSON.stringify(a)) as AttendanceState;
  assert.deepEqual(attendanceView(b, T("09:30")), attendanceView(a, T("09:30")));
  for (const o of rest) {
    observe(a, o);
    observe(b, o);
  }
  assert.deepEqual(b, a);
  assert.deepEqual(ids(attendanceView(b, T("10:30")).late), ["bob"]);
});
