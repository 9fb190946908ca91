import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, streamEnvelopes, testBus } from "@persona/bus/testing";
import { defaultGroupId } from "@persona/sessions";
import { startNatsServer, tempDir } from "@persona/testing";
import { importCommand } from "./commands/import.ts";
import { GroupJoiner } from "./library/groups.ts";
import type { ImportReport } from "./library/report.ts";
import { capture } from "./testing/capture.ts";

/** Members of each group, folded from SESSIONS now. */
async function membersOf(bus: Bus): Promise<Map<string, string[]>> {
  const out = new Map<string, Set<string>>();
  for (const e of await streamEnvelopes(bus, "SESSIONS")) {
    if (e.type === "GroupCreated") out.set(e.data.groupId, new Set());
    if (e.type === "GroupMembersChanged") {
      const m = out.get(e.data.groupId) ?? new Set<string>();
      for (const p of e.data.added) m.add(p);
      for (const p of e.data.removed) m.delete(p);
    }
  }
  return new Map([...out].map(([g, m]) => [g, [...m].sort()]));
}

test("import groups: created once by name, joined, found ignoring case, already a member, another writer in between read fresh", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "cli");
  t.after(() => bus.close());
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("p-anna", "Анна")));
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("p-boris", "Boris")));
  // a group the console made, with its own id
  await bus.publish(bus.envelope("GroupCreated", { groupId: "g-staff", name: "Staff", kind: "staff", by: "admin" }));

  const joiner = await GroupJoiner.open(bus);
  assert.deepEqual(joiner.plan("p-anna", ["ИВТ-21", "staff"]), [
    { name: "ИВТ-21", groupId: defaultGroupId("ИВТ-21"), outcome: "created", reason: null },
    { name: "staff", groupId: "g-staff", outcome: "joined", reason: null },
  ]);
  const anna = await joiner.join("p-anna", "Анна", ["ИВТ-21", "staff"], "cli");
  assert.deepEqual(
    anna.map((g) => [g.groupId, g.outcome]),
    [
      [defaultGroupId("ИВТ-21"), "created"],
      ["g-staff", "joined"],
    ],
  );
  // another writer appends to the group after this joiner read SESSIONS: the group's subject is read fresh
  await bus.publish(
    bus.envelope("GroupMembersChanged", { groupId: defaultGroupId("ИВТ-21"), added: [], removed: ["p-anna"], by: "admin" }),
  );
  const boris = await joiner.join("p-boris", "Boris", ["  ивт-21 ".trim()], "cli");
  assert.deepEqual(
    boris.map((g) => g.outcome),
    ["joined"],
  );
  assert.deepEqual(
    (await joiner.join("p-boris", "Boris", ["ИВТ-21"], "cli")).map((g) => g.outcome),
    ["member"],
    "nothing appended again",
  );
  assert.deepEqual(
    await membersOf(bus),
    new Map([
      ["g-staff", ["p-anna"]],
      [defaultGroupId("ИВТ-21"), ["p-boris"]],
    ]),
  );
  const created = (await streamEnvelopes(bus, "SESSIONS")).filter((e) => e.type === "GroupCreated");
  assert.equal(created.length, 2, "ИВТ-21 created once");

  // persona import --dry-run: the groups in the report, nothing published
  const root = tempDir(t, "persona-import-groups-");
  const dir = join(root, "a-anna");
  mkdirSync(dir);
  writeFileSync(join(dir, "data.txt"), "Анна\nДекан\nanna.jpg\n");
  writeFileSync(join(dir, "anna.jpg"), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from("anna")]));
  writeFileSync(join(dir, "groups"), "ИВТ-21\r\nNew group\r\n");
  const before = (await bus.jsm.streams.info("SESSIONS")).state.last_seq;
  const out = capture();
  await importCommand({ dir: root, json: true, dryRun: true, retryRejected: false, env: { NATS_URL: server.url } }, out);
  const report = JSON.parse(out.out) as ImportReport;
  assert.deepEqual(
    report.people[0]?.groups.map((g) => [g.name, g.outcome]),
    [
      ["ИВТ-21", "joined"],
      ["New group", "created"],
    ],
  );
  assert.equal(report.summary.groupsJoined, 2);
  assert.equal((await bus.jsm.streams.info("SESSIONS")).state.last_seq, before, "a dry run publishes nothing");
});
