import assert from "node:assert/strict";
import { test } from "node:test";
import { type Observation, correct, observe, openAttendance } from "./attendance.ts";
import { emptyOverlapIndex, examAlerts, examReport, noteExamPresence, pendingChecks, recordVerdict } from "./exam.ts";
import type { Occurrence } from "./schedule.ts";

const T = (hhmm: string) => Date.parse(`2025-06-10T${hhmm}:00Z`);
const exam = (over: Partial<Occurrence> = {}): Occurrence => ({
  occurrenceId: "final@2025-06-10",
  sessionId: "final",
  name: "Final",
  date: "2025-06-10",
  kind: "exam",
  cameras: ["room-1"],
  startAt: T("10:00"),
  endAt: T("12:00"),
  graceMinutes: 0,
  shifted: false,
  ...over,
});
const obs = (personId: string | null, trackId: string, hhmm: string, over: Partial<Observation> = {}): Observation => ({
  trackId,
  cameraId: "room-1",
  at: T(hhmm),
  personId,
  decision: personId === null ? "unknown" : "confirmed",
  score: 0.8,
  crop: `crop-${trackId}`,
  ...over,
});

function run(state: ReturnType<typeof openAttendance>, o: Observation) {
  return examAlerts(state, o, observe(state, o));
}

test("alerts: an unknown face and a person off the roster, each once; roster people and other kinds raise none", () => {
  const s = openAttendance(exam(), ["ann"]);
  assert.deepEqual(run(s, obs("ann", "t1", "09:55")), []);
  const [unknown] = run(s, obs(null, "u1", "10:01"));
  assert.deepEqual(unknown, {
    kind: "unknown-face",
    occurrenceId: "final@2025-06-10",
    personId: null,
    trackId: "u1",
    cameraId: "room-1",
    at: T("10:01"),
    score: 0.8,
    crop: "crop-u1",
  });
  assert.deepEqual(run(s, obs(null, "u1", "10:02")), [], "the same track again");
  assert.deepEqual(run(s, obs("zed", "z1", "10:03", { decision: "probable" })), [], "probable is not enough to accuse");
  assert.equal(run(s, obs("zed", "z1", "10:04"))[0]?.kind, "not-on-roster");
  assert.deepEqual(run(s, obs("zed", "z2", "10:05")), [], "once per person");
  assert.equal(s.alerts.length, 2);
  const cls = openAttendance(exam({ kind: "class" }), ["ann"]);
  assert.deepEqual(run(cls, obs(null, "u1", "10:01")), []);
  assert.deepEqual(examAlerts(s, obs("ann", "t1", "13:00"), null), [], "an observation the fold refused");
});

test("verdicts: every recognition is pending until a proctor confirms or flags it; rejected ones are not asked", () => {
  const s = openAttendance(exam(), ["ann", "bob"]);
  for (const o of [obs("ann", "t1", "10:00"), obs("bob", "t2", "10:01", { decision: "probable" }), obs("bob", "t3", "10:02")])
    run(s, o);
  assert.deepEqual(
    pendingChecks(s).map((c) => [c.personId, c.trackId, c.confirmed]),
    [
      ["ann", "t1", true],
      ["bob", "t2", false],
      ["bob", "t3", true],
    ],
  );
  recordVerdict(s, { personId: "ann", trackId: "t1", verdict: "confirmed", by: "proctor", at: T("10:05") });
  correct(s, { personId: "bob", action: "reject-recognition", trackId: "t2", by: "proctor", at: T("10:05") });
  assert.deepEqual(
    pendingChecks(s).map((c) => c.trackId),
    ["t3"],
  );
  recordVerdict(s, { personId: "bob", trackId: "t3", verdict: "flagged", by: "proctor", at: T("10:06") });
  assert.deepEqual(pendingChecks(s), []);
});

test("two rooms at once: confirmed in overlapping exam occurrences at different cameras is flagged, once per pair", () => {
  const index = emptyOverlapIndex();
  const a = exam({ occurrenceId: "a@2025-06-10", cameras: ["room-1"] });
  const b = exam({ occurrenceId: "b@2025-06-10", cameras: ["room-2"], startAt: T("11:00"), endAt: T("13:00") });
  const later = exam({ occurrenceId: "c@2025-06-10", cameras: ["room-3"], startAt: T("12:00"), endAt: T("13:00") });
  assert.deepEqual(noteExamPresence(index, a, "ann", { cameraId: "room-1", trackId: "t1", at: T("10:00") }), []);
  assert.deepEqual(
    noteExamPresence(index, later, "ann", { cameraId: "room-3", trackId: "t9", at: T("12:10") }),
    [],
    "a touches c only at 12:00",
  );
  const [flag] = noteExamPresence(index, b, "ann", { cameraId: "room-2", trackId: "t2", at: T("11:10") });
  assert.deepEqual(
    flag?.sightings.map((s) => [s.occurrenceId, s.cameraId, s.trackId]),
    [
      ["a@2025-06-10", "room-1", "t1"],
      ["b@2025-06-10", "room-2", "t2"],
    ],
  );
  assert.equal(index.flags.length, 2, "b also overlaps c");
  assert.deepEqual(noteExamPresence(index, b, "ann", { cameraId: "room-2", trackId: "t3", at: T("11:20") }), []);
  const shared = exam({ occurrenceId: "d@2025-06-10", cameras: ["room-1"], endAt: T("10:50") });
  assert.deepEqual(
    noteExamPresence(index, shared, "ann", { cameraId: "room-1", trackId: "t1", at: T("10:00") }),
    [],
    "same room",
  );
  assert.deepEqual(noteExamPresence(index, exam({ kind: "class" }), "bob", { cameraId: "x", trackId: "t", at: 0 }), []);
});

test("the identity report: every candidate with evidence, verdicts, flags, alerts and a summary", () => {
  const occ = exam();
  const s = openAttendance(occ, ["ann", "bob", "cid"]);
  for (const o of [obs("ann", "t1", "10:00"), obs("bob", "t2", "10:03"), obs("zed", "t3", "10:04"), obs(null, "u1", "10:05")]) {
    run(s, o);
  }
  recordVerdict(s, { personId: "ann", trackId: "t1", verdict: "confirmed", by: "proctor", at: T("10:06") });
  const index = emptyOverlapIndex();
  noteExamPresence(index, exam({ occurrenceId: "other", cameras: ["room-9"] }), "bob", {
    cameraId: "room-9",
    trackId: "t8",
    at: T("10:00"),
  });
  noteExamPresence(index, occ, "bob", { cameraId: "room-1", trackId: "t2", at: T("10:03") });
  const r = examReport(s, T("12:00"), index);
  assert.deepEqual(
    r.candidates.map((c) => [c.personId, c.onRoster, c.status, c.verified, c.flagged, c.evidence.map((e) => e.verdict)]),
    [
      ["ann", true, "present", true, false, ["confirmed"]],
      ["bob", true, "late", false, true, ["pending"]],
      ["cid", true, "absent", false, false, []],
      ["zed", false, "late", false, false, ["pending"]],
    ],
  );
  assert.equal(r.candidates[1]?.overlaps.length, 1);
  assert.deepEqual(r.summary, { expected: 3, seen: 3, verified: 1, flagged: 1, pending: 2, absent: 1, notOnRoster: 1 });
  assert.deepEqual(
    r.alerts.map((a) => a.kind),
    ["not-on-roster", "unknown-face"],
  );
  assert.equal(r.unknownTracks, 1);
  assert.equal(r.candidates[0]?.evidence[0]?.crop, "crop-t1");
});
