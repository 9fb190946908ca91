import assert from "node:assert/strict";
import { test } from "node:test";
import { personEnrolled, testBus } from "@persona/bus/testing";
import { inlineCrop, recognized } from "@persona/service-cleaner/testing";
import { startNatsServer } from "@persona/testing";
import { reportCommand } from "./commands/report.ts";
import { CliError, UsageError } from "./errors.ts";
import { capture } from "./testing/capture.ts";

const T = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00.000Z`);

test("persona report: an occurrence as CSV and JSON, a group's rates, from the streams alone; clear errors", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "portal");
  t.after(() => bus.close());
  await bus.applyTopology();
  for (const [id, name] of [
    ["ann", "Ann Lee"],
    ["bob", "Bob Ray"],
  ] as const)
    await bus.publish(bus.envelope("PersonEnrolled", personEnrolled(id, name)));
  await bus.publish(bus.envelope("GroupCreated", { groupId: "course", name: "Course", by: "t" }));
  await bus.publish(bus.envelope("GroupMembersChanged", { groupId: "course", added: ["ann", "bob"], removed: [], by: "t" }));
  await bus.publish(
    bus.envelope("SessionScheduled", {
      sessionId: "math",
      name: "Math",
      kind: "class",
      cameras: ["room1"],
      timeZone: "UTC",
      start: "09:00",
      end: "10:00",
      firstDate: "2026-03-02",
      recurrence: { kind: "none" },
      exceptions: [],
      roster: { groups: ["course"], people: [] },
      graceMinutes: 5,
      owner: "t",
    }),
  );
  await bus.publish(recognized(bus, "room1", "t1", "ann", new Date(T("09:01")).toISOString(), inlineCrop("t1")));
  const env = { NATS_URL: server.url };
  const now = T("11:00");

  const csv = capture();
  assert.equal(await reportCommand({ session: "math", date: "2026-03-02", json: false, env, now }, csv), 0);
  const rows = csv.out.trim().split("\r\n");
  assert.equal(rows[0], "person_id,name,status,on_roster,first_seen,best_score,track_id,camera_id,probable_only,corrected_by");
  assert.deepEqual(
    rows.slice(1).map((r) => r.split(",").slice(0, 3)),
    [
      ["ann", "Ann Lee", "present"],
      ["bob", "Bob Ray", "absent"],
    ],
  );

  const json = capture();
  assert.equal(await reportCommand({ session: "math", date: "2026-03-02", json: true, env, now }, json), 0);
  const doc = JSON.parse(json.out) as { version: number; occurrence: { present: { personId: string }[]; absent: unknown[] } };
  assert.equal(doc.version, 1);
  assert.deepEqual(
    doc.occurrence.present.map((r) => r.personId),
    ["ann"],
  );

  const group = capture();
  assert.equal(await reportCommand({ group: "course", from: "2026-03-01", to: "2026-03-07", json: false, env, now }, group), 0);
  assert.match(
    group.out,
    /^person_id,name,expected,attended,late,absent,excused,rate,below\r\nann,Ann Lee,1,1,0,0,0,1,no\r\nbob,Bob Ray,1,0,0,1,0,0,yes\r\n$/,
  );

  await assert.rejects(reportCommand({ session: "nope", date: "2026-03-02", json: false, env, now }, capture()), CliError);
  await assert.rejects(reportCommand({ session: "math", json: false, env, now }, capture()), UsageError);
  await assert.rejects(reportCommand({ group: "course", date: "2026-03-02", json: false, env, now }, capture()), UsageError);
  await assert.rejects(reportCommand({ session: "math", date: "2026-02-30", json: false, env, now }, capture()), UsageError);
});
