import assert from "node:assert/strict";
import { test } from "node:test";
import { attendanceView } from "./attendance.ts";
import { sessionsEvent } from "./events.ts";
import { applyEvent, createProjection, ingest } from "./projection.ts";

const Z = (iso: string) => Date.parse(iso);
const def = {
  kind: "class" as const,
  timeZone: "UTC",
  start: "09:00",
  end: "10:00",
  firstDate: "2025-09-01",
  recurrence: { kind: "weekly" as const, days: [1], until: "2025-12-31" },
  exceptions: [],
  graceMinutes: 5,
  owner: "t",
};

function setup() {
  const p = createProjection();
  for (const id of ["ann", "bob", "zed"]) applyEvent(p, { type: "PersonEnrolled", data: { personId: id, name: id } });
  applyEvent(p, sessionsEvent("GroupCreated", { groupId: "g1", name: "G1", by: "t" }));
  applyEvent(p, sessionsEvent("GroupMembersChanged", { groupId: "g1", added: ["ann", "bob"], removed: [], by: "t" }));
  applyEvent(
    p,
    sessionsEvent("SessionScheduled", {
      ...def,
      sessionId: "math",
      name: "Math",
      cameras: ["r1"],
      roster: { groups: ["g1"], people: [] },
    }),
  );
  applyEvent(
    p,
    sessionsEvent("SessionScheduled", {
      ...def,
      sessionId: "ex1",
      name: "Exam 1",
      kind: "exam",
      cameras: ["r2"],
      roster: { groups: [], people: ["ann"] },
    }),
  );
  applyEvent(
    p,
    sessionsEvent("SessionScheduled", {
      ...def,
      sessionId: "ex2",
      name: "Exam 2",
      kind: "exam",
      cameras: ["r3"],
      roster: { groups: [], people: ["bob"] },
    }),
  );
  return p;
}
const obs = (personId: string | null, cameraId: string, iso: string, trackId = `${personId}-${cameraId}-${iso}`) => ({
  trackId,
  cameraId,
  at: Z(iso),
  personId,
  decision: personId === null ? ("unknown" as const) : ("confirmed" as const),
  score: 0.8,
});

test("ingest: a sighting reaches the occurrences of its camera and time, opened with the roster resolved then", () => {
  const p = setup();
  assert.deepEqual(ingest(p, obs("ann", "r1", "2025-09-01T08:30:00Z")), [], "before the early window");
  assert.deepEqual(ingest(p, obs("ann", "r1", "2025-09-01T08:50:00Z")), [
    { kind: "arrived", occurrenceId: "math@2025-09-01", personId: "ann", at: Z("2025-09-01T08:50:00Z"), onRoster: true },
  ]);
  // joining the group after the occurrence opened does not change its roster; the next week's has her
  applyEvent(p, { type: "PersonEnrolled", data: { personId: "cat", name: "cat" } });
  applyEvent(p, sessionsEvent("GroupMembersChanged", { groupId: "g1", added: ["cat"], removed: [], by: "t" }));
  ingest(p, obs("bob", "r1", "2025-09-01T09:30:00Z"));
  const math = p.occurrences["math@2025-09-01"];
  assert.ok(math);
  assert.deepEqual(math.roster, ["ann", "bob"]);
  const v = attendanceView(math, Z("2025-09-01T10:00:00Z"));
  assert.deepEqual([v.present.map((r) => r.personId), v.late.map((r) => r.personId)], [["ann"], ["bob"]]);
  ingest(p, obs("cat", "r1", "2025-09-08T09:00:00Z"));
  assert.deepEqual(p.occurrences["math@2025-09-08"]?.roster, ["ann", "bob", "cat"]);
});

test("ingest: exam alerts and the same person in two exam rooms at once come out as effects", () => {
  const p = setup();
  const kinds = (e: ReturnType<typeof ingest>) => e.map((x) => (x.kind === "alert" ? `alert:${x.alert.kind}` : x.kind));
  assert.deepEqual(kinds(ingest(p, obs("ann", "r2", "2025-09-01T09:01:00Z"))), ["arrived"]);
  assert.deepEqual(kinds(ingest(p, obs(null, "r2", "2025-09-01T09:02:00Z"))), ["alert:unknown-face"]);
  assert.deepEqual(kinds(ingest(p, obs("ann", "r3", "2025-09-01T09:20:00Z"))), ["alert:not-on-roster", "arrived", "overlap"]);
  assert.equal(p.overlaps.flags[0]?.personId, "ann");
});

test("corrections and verdicts go to their occurrence (opening it if needed) and return the negatives", () => {
  const p = setup();
  ingest(p, obs("zed", "r1", "2025-09-01T09:10:00Z", "tz"));
  const effects = applyEvent(
    p,
    sessionsEvent("AttendanceCorrected", {
      sessionId: "math",
      date: "2025-09-01",
      personId: "zed",
      action: "reject-recognition",
      trackId: "tz",
      by: "t",
      at: "2025-09-01T09:15:00Z",
    }),
  );
  assert.deepEqual(effects, [
    {
      kind: "negative",
      occurrenceId: "math@2025-09-01",
      negative: { personId: "zed", trackId: "tz", by: "t", at: Z("2025-09-01T09:15:00Z") },
    },
  ]);
  applyEvent(
    p,
    sessionsEvent("ExamCheckRecorded", {
      sessionId: "ex1",
      date: "2025-09-08",
      personId: "ann",
      trackId: "t1",
      verdict: "flagged",
      by: "p",
      at: "2025-09-08T09:00:00Z",
    }),
  );
  assert.equal(p.occurrences["ex1@2025-09-08"]?.verdicts["ann/t1"]?.verdict, "flagged");
  assert.deepEqual(
    applyEvent(
      p,
      sessionsEvent("AttendanceCorrected", {
        sessionId: "math",
        date: "2025-09-02",
        personId: "zed",
        action: "excuse",
        by: "t",
        at: "2025-09-01T09:15:00Z",
      }),
    ),
    [],
    "no such occurrence: nothing opened",
  );
  assert.equal(p.occurrences["math@2025-09-02"], undefined);
});

test("a cancelled occurrence routes nothing; a rescheduled session routes at its new time", () => {
  const p = setup();
  ingest(p, obs("ann", "r1", "2025-09-01T09:00:00Z"));
  applyEvent(p, sessionsEvent("SessionCancelled", { sessionId: "math", date: "2025-09-08", by: "t" }));
  assert.deepEqual(ingest(p, obs("ann", "r1", "2025-09-08T09:00:00Z")), []);
  applyEvent(p, sessionsEvent("SessionChanged", { sessionId: "math", start: "14:00", end: "15:00", by: "t" }));
  assert.deepEqual(ingest(p, obs("ann", "r1", "2025-09-15T09:00:00Z")), []);
  assert.equal(ingest(p, obs("ann", "r1", "2025-09-15T14:00:00Z")).length, 1);
});

test("OccurrenceStarted fixes the roster and times: later group changes and an occurrence opened early take the record", () => {
  const p = setup();
  // an early sighting opens Math on 2025-09-01 with the roster resolved then (ann, bob)
  ingest(p, obs("ann", "r1", "2025-09-01T08:50:00Z", "t1"));
  applyEvent(p, sessionsEvent("GroupMembersChanged", { groupId: "g1", added: ["zed"], removed: ["bob"], by: "t" }));
  const occ = p.occurrences["math@2025-09-01"];
  assert.ok(occ);
  const record = {
    ...occ.occurrence,
    roster: ["ann", "zed"],
    openedAt: "2025-09-01T08:50:00.000Z",
  };
  const { occurrenceId: _, ...data } = record;
  applyEvent(p, sessionsEvent("OccurrenceStarted", data));
  const view = attendanceView(p.occurrences["math@2025-09-01"] as NonNullable<typeof occ>, Z("2025-09-01T10:00:00Z"));
  assert.deepEqual(view.expected, ["ann", "zed"]);
  assert.deepEqual(
    view.present.map((r) => r.personId),
    ["ann"],
    "the evidence gathered before the record stays",
  );
  assert.deepEqual(
    view.absent.map((r) => r.personId),
    ["zed"],
  );
  // a rebuild that reads the record first expects the same people
  const q = setup();
  applyEvent(q, sessionsEvent("OccurrenceStarted", data));
  ingest(q, obs("ann", "r1", "2025-09-01T08:50:00Z", "t1"));
  assert.deepEqual(attendanceView(q.occurrences["math@2025-09-01"] as NonNullable<typeof occ>, Z("2025-09-01T10:00:00Z")), view);
});

test("a rejected recognition then undone ends the same whether the correction came before or after the frames", () => {
  const correction = (action: "reject-recognition" | "undo", at: string) =>
    sessionsEvent("AttendanceCorrected", {
      sessionId: "math",
      date: "2025-09-01",
      personId: "ann",
      action,
      trackId: "t1",
      by: "t",
      at,
    });
  const frames = [obs("ann", "r1", "2025-09-01T08:58:00Z", "t1"), obs("ann", "r1", "2025-09-01T09:20:00Z", "t1")];
  const live = setup();
  ingest(live, frames[0] as never);
  applyEvent(live, correction("reject-recognition", "2025-09-01T09:10:00Z"));
  ingest(live, frames[1] as never);
  applyEvent(live, correction("undo", "2025-09-01T09:30:00Z"));
  const rebuilt = setup();
  applyEvent(rebuilt, correction("reject-recognition", "2025-09-01T09:10:00Z"));
  applyEvent(rebuilt, correction("undo", "2025-09-01T09:30:00Z"));
  for (const f of frames) ingest(rebuilt, f as never);
  const at = Z("2025-09-01T10:00:00Z");
  const a = attendanceView(live.occurrences["math@2025-09-01"] as never, at);
  const b = attendanceView(rebuilt.occurrences["math@2025-09-01"] as never, at);
  assert.deepEqual(
    a.present.map((r) => [r.personId, r.firstSeenAt]),
    [["ann", Z("2025-09-01T08:58:00Z")]],
  );
  assert.deepEqual(a, b);
});
