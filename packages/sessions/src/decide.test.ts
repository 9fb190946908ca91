import assert from "node:assert/strict";
import { test } from "node:test";
import { type Decision, type SessionsCommand, decide } from "./decide.ts";
import { type SessionDefinition, type SessionsEvent, sessionsEvent } from "./events.ts";
import { type PeopleFact, emptySessions, evolve, resolveRoster } from "./state.ts";

// Given/When/Then: given these events (folded with `evolve`), when this command, then these events or this rejection.

function given(...events: (SessionsEvent | PeopleFact)[]) {
  const state = emptySessions();
  for (const e of events) evolve(state, e);
  return { state, when: (command: SessionsCommand): Decision => decide(command, state) };
}

const person = (personId: string, name = personId): PeopleFact => ({ type: "PersonEnrolled", data: { personId, name } });
const group = (groupId: string, name = groupId) => sessionsEvent("GroupCreated", { groupId, name, by: "t" });
const members = (groupId: string, added: string[], removed: string[] = []) =>
  sessionsEvent("GroupMembersChanged", { groupId, added, removed, by: "t" });

const definition: SessionDefinition = {
  name: "Algebra",
  kind: "class",
  cameras: ["room-101"],
  timeZone: "Europe/Moscow",
  start: "09:00",
  end: "10:30",
  firstDate: "2025-09-01",
  recurrence: { kind: "weekly", days: [1, 3], until: "2025-12-31" },
  exceptions: ["2025-11-03"],
  roster: { groups: ["g1"], people: [] },
  graceMinutes: 10,
};
const schedule = (over: Partial<SessionDefinition> & { sessionId?: string } = {}): SessionsCommand => ({
  kind: "schedule-session",
  session: { sessionId: "s1", owner: "teacher", ...definition, ...over },
});
const scheduled = (over: Partial<SessionDefinition> & { sessionId?: string } = {}) =>
  sessionsEvent("SessionScheduled", { sessionId: "s1", owner: "teacher", ...definition, ...over });

const outcome = (d: Decision) => ("events" in d ? d.events.map((e) => e.type) : d.rejection.code);
const message = (d: Decision) => ("rejection" in d ? d.rejection.message : "");

test("create-group: a new group; an existing id or a name that differs only in case, spaces or Unicode form is rejected", () => {
  const d = given().when({ kind: "create-group", groupId: "g1", name: "ИВТ-21", groupKind: "course", by: "admin" });
  assert.deepEqual("events" in d && d.events, [
    { type: "GroupCreated", version: 1, data: { groupId: "g1", name: "ИВТ-21", kind: "course", by: "admin" } },
  ]);
  const g = given(group("g1", "Рогов  Игорь"));
  assert.equal(outcome(g.when({ kind: "create-group", groupId: "g1", name: "x", by: "a" })), "group-exists");
  const dup = g.when({ kind: "create-group", groupId: "g2", name: " рогов игорь ", by: "a" });
  assert.equal(outcome(dup), "duplicate-name");
  assert.match(message(dup), /group g1 is already named/);
  assert.equal(outcome(g.when({ kind: "create-group", groupId: "bad id!", name: "y", by: "a" })), "invalid");
  assert.equal(outcome(g.when({ kind: "create-group", groupId: "g3", name: "   ", by: "a" })), "invalid");
  // "й" composed and decomposed are the same name
  const nfd = given(group("g1", "Дмитрий".normalize("NFD"))).when({
    kind: "create-group",
    groupId: "g2",
    name: "дмитрий",
    by: "a",
  });
  assert.equal(outcome(nfd), "duplicate-name");
});

test("rename-group: unknown rejected, same name no event, a taken name rejected", () => {
  const g = given(group("g1", "A"), group("g2", "B"));
  assert.deepEqual(outcome(g.when({ kind: "rename-group", groupId: "g1", name: "C", by: "a" })), ["GroupRenamed"]);
  assert.deepEqual(outcome(g.when({ kind: "rename-group", groupId: "g1", name: "A", by: "a" })), []);
  assert.equal(outcome(g.when({ kind: "rename-group", groupId: "g1", name: "b", by: "a" })), "duplicate-name");
  assert.equal(outcome(g.when({ kind: "rename-group", groupId: "zz", name: "Z", by: "a" })), "unknown-group");
});

test("delete-group: not while a live session has it on its roster; once the session is cancelled it may go", () => {
  const base = [person("p1"), group("g1"), members("g1", ["p1"]), scheduled()];
  const inUse = given(...base).when({ kind: "delete-group", groupId: "g1", by: "a" });
  assert.equal(outcome(inUse), "group-in-use");
  assert.match(message(inUse), /s1/);
  const cancelled = sessionsEvent("SessionCancelled", { sessionId: "s1", by: "a" });
  assert.deepEqual(outcome(given(...base, cancelled).when({ kind: "delete-group", groupId: "g1", by: "a" })), ["GroupDeleted"]);
  assert.equal(outcome(given().when({ kind: "delete-group", groupId: "g1", by: "a" })), "unknown-group");
});

test("change-members: only real changes; unknown people listed; nothing to change is no event", () => {
  const g = given(person("p1"), person("p2"), group("g1"), members("g1", ["p1"]));
  const d = g.when({ kind: "change-members", groupId: "g1", add: ["p1", "p2", "p2"], remove: ["p1", "p3"], by: "a" });
  // p1 is added and removed: it is kept (already a member, the add wins); p3 was never a member
  assert.deepEqual("events" in d && d.events[0]?.data, { groupId: "g1", added: ["p2"], removed: [], by: "a" });
  const r = g.when({ kind: "change-members", groupId: "g1", add: [], remove: ["p1"], by: "a" });
  assert.deepEqual("events" in r && r.events[0]?.data, { groupId: "g1", added: [], removed: ["p1"], by: "a" });
  assert.deepEqual(outcome(g.when({ kind: "change-members", groupId: "g1", add: ["p1"], remove: [], by: "a" })), []);
  const unknown = g.when({ kind: "change-members", groupId: "g1", add: ["x1", "p2", "x2"], remove: [], by: "a" });
  assert.equal(outcome(unknown), "unknown-person");
  assert.match(message(unknown), /x1, x2/);
  assert.equal(outcome(g.when({ kind: "change-members", groupId: "nope", add: [], remove: [], by: "a" })), "unknown-group");
});

test("schedule-session: a valid definition is scheduled; every broken rule is rejected with its own code", () => {
  const g = given(person("p1"), group("g1"), members("g1", ["p1"]));
  assert.deepEqual(outcome(g.when(schedule())), ["SessionScheduled"]);
  const cases: [Partial<SessionDefinition>, string, RegExp][] = [
    [{ cameras: [] }, "no-cameras", /camera/],
    [{ timeZone: "Europe/Atlantis" }, "unknown-time-zone", /Europe\/Atlantis/],
    [{ start: "10:30", end: "09:00" }, "end-before-start", /10:30/],
    [{ start: "09:00", end: "09:00" }, "end-before-start", /not after/],
    [{ start: "9:00" }, "invalid", /start/],
    [{ firstDate: "2025-02-30" }, "invalid", /firstDate: no such date/],
    [{ recurrence: { kind: "weekly", days: [1], until: "2025-08-01" } }, "until-before-first-date", /2025-08-01/],
    [{ roster: { groups: [], people: [] } }, "empty-roster", /roster/],
    [{ roster: { groups: ["g9"], people: [] } }, "unknown-group", /g9/],
    [{ roster: { groups: [], people: ["ghost"] } }, "unknown-person", /ghost/],
  ];
  for (const [over, code, why] of cases) {
    const d = g.when(schedule(over));
    assert.equal(outcome(d), code, JSON.stringify(over));
    assert.match(message(d), why);
  }
  const g2 = given(person("p1"), group("g1"), scheduled());
  assert.equal(outcome(g2.when(schedule())), "session-exists");
  assert.equal(outcome(g2.when(schedule({ sessionId: "s2", name: "ALGEBRA" }))), "duplicate-name");
});

test("change-session: only the fields that differ are recorded, the merged definition is checked again", () => {
  const g = given(person("p1"), group("g1"), scheduled());
  const d = g.when({ kind: "change-session", change: { sessionId: "s1", end: "11:00", start: "09:00", by: "t" } });
  assert.deepEqual("events" in d && d.events[0]?.data, { sessionId: "s1", end: "11:00", by: "t" });
  assert.deepEqual(outcome(g.when({ kind: "change-session", change: { sessionId: "s1", name: "Algebra", by: "t" } })), []);
  assert.equal(
    outcome(g.when({ kind: "change-session", change: { sessionId: "s1", end: "08:00", by: "t" } })),
    "end-before-start",
  );
  assert.equal(outcome(g.when({ kind: "change-session", change: { sessionId: "s1", cameras: [], by: "t" } })), "no-cameras");
  assert.equal(outcome(g.when({ kind: "change-session", change: { sessionId: "s9", name: "x", by: "t" } })), "unknown-session");
  // folded, the change is the session's new definition
  if ("events" in d) for (const e of d.events) evolve(g.state, e);
  assert.equal(g.state.sessions.get("s1")?.end, "11:00");
  assert.equal(g.state.sessions.get("s1")?.start, "09:00");
});

test("cancel-session: the series, or one occurrence that exists; nothing more once cancelled", () => {
  const g = given(person("p1"), group("g1"), scheduled());
  assert.deepEqual(outcome(g.when({ kind: "cancel-session", sessionId: "s1", date: "2025-09-03", by: "t" })), [
    "SessionCancelled",
  ]);
  assert.equal(outcome(g.when({ kind: "cancel-session", sessionId: "s1", date: "2025-09-02", by: "t" })), "unknown-occurrence");
  assert.equal(outcome(g.when({ kind: "cancel-session", sessionId: "s1", date: "2025-11-03", by: "t" })), "unknown-occurrence");
  const whole = g.when({ kind: "cancel-session", sessionId: "s1", by: "t", reason: "course closed" });
  assert.deepEqual("events" in whole && whole.events[0]?.data, { sessionId: "s1", by: "t", reason: "course closed" });
  const gone = given(person("p1"), group("g1"), scheduled(), sessionsEvent("SessionCancelled", { sessionId: "s1", by: "t" }));
  assert.equal(outcome(gone.when({ kind: "cancel-session", sessionId: "s1", by: "t" })), "cancelled");
  assert.equal(outcome(gone.when({ kind: "change-session", change: { sessionId: "s1", name: "x", by: "t" } })), "cancelled");
});

const correction = (over: Record<string, unknown> = {}): SessionsCommand =>
  ({
    kind: "correct-attendance",
    correction: {
      sessionId: "s1",
      date: "2025-09-01",
      personId: "p1",
      action: "excuse",
      by: "t",
      at: "2025-09-01T06:05:00Z",
      ...over,
    },
  }) as SessionsCommand;

test("correct-attendance: needs the occurrence, a known person, a track for a rejection, a start for mark-present", () => {
  const base = [
    person("p1"),
    group("g1"),
    members("g1", ["p1"]),
    scheduled(),
    sessionsEvent("SessionCancelled", { sessionId: "s1", date: "2025-09-08", by: "t" }),
  ];
  const g = given(...base);
  assert.deepEqual(outcome(g.when(correction())), ["AttendanceCorrected"]);
  assert.equal(outcome(g.when(correction({ date: "2025-09-02" }))), "unknown-occurrence", "a Tuesday");
  assert.equal(outcome(g.when(correction({ date: "2025-09-08" }))), "unknown-occurrence", "cancelled");
  assert.equal(outcome(g.when(correction({ date: "2025-11-03" }))), "unknown-occurrence", "an exception");
  assert.equal(outcome(g.when(correction({ sessionId: "s2" }))), "unknown-session");
  assert.equal(outcome(g.when(correction({ personId: "p9" }))), "unknown-person");
  assert.equal(outcome(g.when(correction({ action: "reject-recognition" }))), "missing-track");
  assert.deepEqual(outcome(g.when(correction({ action: "reject-recognition", trackId: "t1" }))), ["AttendanceCorrected"]);
  // 09:00 Moscow is 06:00 UTC
  assert.equal(outcome(g.when(correction({ action: "mark-present", at: "2025-09-01T05:59:00Z" }))), "not-started");
  assert.deepEqual(outcome(g.when(correction({ action: "mark-present", at: "2025-09-01T06:00:00Z" }))), ["AttendanceCorrected"]);
  assert.equal(outcome(g.when(correction({ action: "undo" }))), "nothing-to-undo");
});

test("correct-attendance: a correction in force is no event; undo takes back the latest, then the one before", () => {
  const c = (action: string, trackId?: string) =>
    sessionsEvent("AttendanceCorrected", {
      sessionId: "s1",
      date: "2025-09-01",
      personId: "p1",
      action: action as "excuse",
      ...(trackId ? { trackId } : {}),
      by: "t",
      at: "2025-09-01T06:05:00Z",
    });
  const base = [person("p1"), group("g1"), scheduled()];
  assert.deepEqual(outcome(given(...base, c("excuse")).when(correction())), []);
  assert.deepEqual(
    outcome(given(...base, c("reject-recognition", "t1")).when(correction({ action: "reject-recognition", trackId: "t1" }))),
    [],
  );
  const g = given(...base, c("excuse"), c("reject-recognition", "t1"), c("undo"));
  assert.deepEqual(g.state.corrections.get("s1@2025-09-01"), [{ personId: "p1", action: "excuse", trackId: null }]);
  assert.deepEqual(outcome(g.when(correction({ action: "reject-recognition", trackId: "t1" }))), ["AttendanceCorrected"]);
  evolve(g.state, c("undo"));
  assert.equal(outcome(g.when(correction({ action: "undo" }))), "nothing-to-undo");
});

test("record-exam-check: only for an exam's occurrence and a known person", () => {
  const check = (sessionId: string, over: Record<string, unknown> = {}): SessionsCommand =>
    ({
      kind: "record-exam-check",
      check: {
        sessionId,
        date: "2025-09-01",
        personId: "p1",
        trackId: "t1",
        verdict: "confirmed",
        by: "proctor",
        at: "2025-09-01T06:10:00Z",
        ...over,
      },
    }) as SessionsCommand;
  const g = given(person("p1"), group("g1"), scheduled(), scheduled({ sessionId: "x1", name: "Final", kind: "exam" }));
  assert.deepEqual(outcome(g.when(check("x1"))), ["ExamCheckRecorded"]);
  assert.equal(outcome(g.when(check("s1"))), "not-an-exam");
  assert.equal(outcome(g.when(check("x1", { date: "2025-09-02" }))), "unknown-occurrence");
  assert.equal(outcome(g.when(check("x1", { personId: "p7" }))), "unknown-person");
  assert.equal(outcome(g.when(check("x1", { verdict: "maybe" }))), "invalid");
});

test("evolve: the roster resolves groups and people to library people; a removed person leaves groups and rosters", () => {
  const g = given(
    person("p1"),
    person("p2"),
    person("p3"),
    group("g1"),
    members("g1", ["p1", "p2"]),
    scheduled({ roster: { groups: ["g1"], people: ["p3", "p1"] } }),
  );
  const s = g.state.sessions.get("s1");
  assert.ok(s);
  assert.deepEqual(resolveRoster(g.state, s.roster), ["p1", "p2", "p3"]);
  evolve(g.state, { type: "PersonRemoved", data: { personId: "p1" } });
  evolve(g.state, members("g1", [], ["p2"]));
  assert.deepEqual(resolveRoster(g.state, s.roster), ["p3"]);
  assert.deepEqual(g.state.sessions.get("s1")?.roster.people, ["p3"]);
  evolve(g.state, { type: "PersonUpdated", data: { personId: "p3", name: "Рогов Игорь Евгеньевич" } });
  assert.equal(g.state.people.get("p3"), "Рогов Игорь Евгеньевич");
  evolve(g.state, sessionsEvent("GroupDeleted", { groupId: "g1", by: "t" }));
  assert.deepEqual(g.state.sessions.get("s1")?.roster.groups, []);
});
