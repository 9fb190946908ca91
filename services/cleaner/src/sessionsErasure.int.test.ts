import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, streamEnvelopes, testBus } from "@persona/bus/testing";
import type { AnyEnvelope, DataOf } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { openStore } from "@persona/store";
import { startNatsServer, tempDir } from "@persona/testing";
import { openCollections } from "./collections.ts";
import { erasePerson } from "./erasure.ts";

const log = createLogger("sessions-erasure-test", process.env.LOG_LEVEL ?? "silent");
const DATE = "2026-03-02";

const session = (sessionId: string, people: string[], groups: string[]): DataOf<"SessionScheduled"> => ({
  sessionId,
  name: `Lecture ${sessionId}`,
  kind: "class",
  cameras: ["hall"],
  timeZone: "Europe/Moscow",
  start: "09:00",
  end: "10:30",
  firstDate: DATE,
  recurrence: { kind: "none" },
  exceptions: [],
  roster: { groups, people },
  graceMinutes: 10,
  owner: "teacher",
});

const correction = (personId: string, action: "excuse" | "mark-present"): DataOf<"AttendanceCorrected"> => ({
  sessionId: "s1",
  date: DATE,
  personId,
  action,
  by: "teacher",
  at: "2026-03-02T06:10:00.000Z",
});

const negative = (personId: string, trackId: string): DataOf<"RecognitionRejected"> => ({
  personId,
  trackId,
  cameraId: "hall",
  sessionId: "s1",
  date: DATE,
  by: "teacher",
  at: "2026-03-02T06:20:00.000Z",
  rejected: true,
});

/** Each group's members, folded from what SESSIONS holds now. */
function membersOf(events: AnyEnvelope[]): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.type === "GroupCreated") groups.set(e.data.groupId, new Set());
    if (e.type !== "GroupMembersChanged") continue;
    const m = groups.get(e.data.groupId) ?? new Set<string>();
    for (const p of e.data.removed) m.delete(p);
    for (const p of e.data.added) m.add(p);
    groups.set(e.data.groupId, m);
  }
  return groups;
}

const mentions = (e: AnyEnvelope, pid: string) => JSON.stringify(e.data).includes(`"${pid}"`);

test("erasing a person removes their SESSIONS traces: corrections, verdicts, negatives, memberships, rosters; again: nothing", async (t) => {
  await using server = await startNatsServer();
  const store = await openStore({ url: `sqlite:${join(tempDir(t, "sessions-erasure-"), "persona.db")}` });
  t.after(() => store.close());
  const bus: Bus = await testBus(server.url, "cleaner");
  t.after(() => bus.close());
  const publish = (type: Parameters<Bus["envelope"]>[0], data: unknown) => bus.publish(bus.envelope(type, data as never));

  await publish("PersonEnrolled", personEnrolled("ann", "Ann"));
  await publish("PersonEnrolled", personEnrolled("bob", "Bob"));
  for (const g of ["alone", "shared", "left"]) await publish("GroupCreated", { groupId: g, name: g, by: "admin" });
  // "alone": ann joined by herself; "shared": with bob; "left": with bob, then an operator removed her alone
  await publish("GroupMembersChanged", { groupId: "alone", added: ["ann"], removed: [], by: "admin" });
  await publish("GroupMembersChanged", { groupId: "shared", added: ["ann", "bob"], removed: [], by: "admin" });
  await publish("GroupMembersChanged", { groupId: "left", added: ["bob", "ann"], removed: [], by: "admin" });
  await publish("GroupMembersChanged", { groupId: "left", added: [], removed: ["ann"], by: "admin" });
  await publish("SessionScheduled", session("s1", ["ann", "bob"], ["shared"]));
  await publish("SessionScheduled", session("s2", ["ann"], []));
  await publish("AttendanceCorrected", correction("ann", "excuse"));
  await publish("AttendanceCorrected", correction("bob", "mark-present"));
  const verdict: DataOf<"ExamCheckRecorded"> = {
    sessionId: "s1",
    date: DATE,
    personId: "ann",
    trackId: "t1",
    verdict: "flagged",
    by: "proctor",
    at: "2026-03-02T06:15:00.000Z",
  };
  await publish("ExamCheckRecorded", verdict);
  await publish("RecognitionRejected", negative("ann", "t1"));
  await publish("RecognitionRejected", negative("bob", "t2"));

  const collections = await openCollections(store);
  const first = await erasePerson(
    { bus, collections, log, settleMs: 200, graceMs: 0 },
    { personId: "ann", by: "portal:admin", reason: "privacy request" },
  );
  assert.equal(first.removed.sessionCorrections, 2, "her correction and her exam verdict");
  assert.equal(first.removed.sessionNegatives, 1);
  assert.equal(first.removed.sessionMessages, 1, "the membership event that named only her");
  assert.equal(first.removed.groupMemberships, 1, "a removal appended to the shared group");
  assert.equal(first.removed.sessionRosters, 1, "s1 without her; s2 would be empty and keeps the bare id");

  const after = await streamEnvelopes(bus, "SESSIONS");
  const members = membersOf(after);
  assert.deepEqual([...(members.get("alone") ?? [])], []);
  assert.deepEqual([...(members.get("shared") ?? [])], ["bob"]);
  assert.deepEqual([...(members.get("left") ?? [])], ["bob"]);
  assert.ok(!after.some((e) => e.type === "GroupMembersChanged" && e.data.groupId === "alone" && mentions(e, "ann")));
  const removal = after.find((e) => e.type === "GroupMembersChanged" && e.data.groupId === "shared" && e.data.removed.length);
  assert.deepEqual(removal?.data, { groupId: "shared", added: [], removed: ["ann"], by: "portal:admin" });
  for (const type of ["AttendanceCorrected", "ExamCheckRecorded", "RecognitionRejected"]) {
    assert.deepEqual(
      after.filter((e) => e.type === type && mentions(e, "ann")),
      [],
      `no ${type} about her`,
    );
  }
  assert.equal(after.filter((e) => e.type === "AttendanceCorrected").length, 1, "bob's correction stays");
  assert.equal(after.filter((e) => e.type === "RecognitionRejected").length, 1, "bob's negative stays");
  const change = after.find((e) => e.type === "SessionChanged");
  assert.ok(change?.type === "SessionChanged");
  assert.deepEqual(change.data, { sessionId: "s1", roster: { groups: ["shared"], people: ["bob"] }, by: "portal:admin" });
  assert.equal(after.filter((e) => e.type === "SessionChanged").length, 1, "s2's roster would be empty: left as it is");

  // erasing again deletes and appends nothing in SESSIONS
  const lastSeq = (await bus.jsm.streams.info("SESSIONS")).state.last_seq;
  const second = await erasePerson(
    { bus, collections, log, settleMs: 200, graceMs: 0 },
    { personId: "ann", by: "portal:admin", reason: "again" },
  );
  for (const k of ["sessionCorrections", "sessionNegatives", "sessionMessages", "groupMemberships", "sessionRosters"]) {
    assert.equal(second.removed[k], undefined, k);
  }
  assert.equal((await bus.jsm.streams.info("SESSIONS")).state.last_seq, lastSeq);
});
