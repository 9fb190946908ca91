import assert from "node:assert/strict";
import { test } from "node:test";
import type { AnyEnvelope } from "@persona/contracts";
import { planGroup } from "./sessionsErasure.ts";

const env = (type: string, data: unknown) => ({ type, data }) as unknown as AnyEnvelope;
const created = (seq: number) => ({ seq, env: env("GroupCreated", { groupId: "g", name: "G", by: "t" }) });
const members = (seq: number, added: string[], removed: string[] = []) => ({
  seq,
  env: env("GroupMembersChanged", { groupId: "g", added, removed, by: "t" }),
});

test("a group joined alone: the joining is deleted, nothing appended", () => {
  assert.deepEqual(planGroup([created(1), members(2, ["ann"]), members(3, ["bob"])], "ann"), {
    delete: [2],
    appendRemoval: false,
    lastSeq: 3,
  });
});

test("joined with others: that event stays and a removal is appended, guarded on the last kept sequence", () => {
  assert.deepEqual(planGroup([created(1), members(2, ["ann", "bob"]), members(5, ["ann"])], "ann"), {
    delete: [5],
    appendRemoval: true,
    lastSeq: 2,
  });
});

test("a removal of them alone after the last kept mention is kept, so erasing again changes nothing", () => {
  const messages = [created(1), members(2, ["ann", "bob"]), members(3, ["ann"], []), members(4, [], ["ann"])];
  assert.deepEqual(planGroup(messages, "ann"), { delete: [3], appendRemoval: false, lastSeq: 2 });
  // after that plan was carried out
  assert.deepEqual(planGroup([created(1), members(2, ["ann", "bob"]), members(4, [], ["ann"])], "ann"), {
    delete: [],
    appendRemoval: false,
    lastSeq: 2,
  });
});

test("already removed with others, a deleted group, or never a member: nothing appended", () => {
  assert.equal(planGroup([created(1), members(2, ["ann", "bob"]), members(3, [], ["ann", "bob"])], "ann").appendRemoval, false);
  const deleted = [created(1), members(2, ["ann", "bob"]), { seq: 3, env: env("GroupDeleted", { groupId: "g", by: "t" }) }];
  assert.deepEqual(planGroup(deleted, "ann"), { delete: [], appendRemoval: false, lastSeq: 3 });
  assert.deepEqual(planGroup([created(1), members(2, ["bob"])], "ann"), { delete: [], appendRemoval: false, lastSeq: 2 });
});

test("an unparsable message stays and counts as the last sequence", () => {
  assert.deepEqual(planGroup([created(1), members(2, ["ann", "bob"]), { seq: 3, env: null }], "ann"), {
    delete: [],
    appendRemoval: true,
    lastSeq: 3,
  });
});
