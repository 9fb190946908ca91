import assert from "node:assert/strict";
import { test } from "node:test";
import { personEnrolled, streamEnvelopes } from "@persona/bus/testing";
import { ask, logIn, startBotWorld, startTestBot, textOf } from "./testing/harness.ts";

/**
 * Groups from Telegram (#17): real nats-server, SQLite, the fake Bot API. /group_add creates a group and adds people
 * (by name, Cyrillic too), /group lists the members, /group_remove takes one out, /groups lists them; the events
 * on SESSIONS are the ones the portal writes, by the Telegram user; a stranger changes nothing.
 */
const PASSWORD = "correct horse battery staple";
const ADMIN_CHAT = 901;
const STRANGER = 599;

test("groups are created and changed from Telegram, the portal's way", async (t) => {
  const world = await startBotWorld(t, "bot-groups-");
  const { bus } = world;
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("ann", "Анна Каренина")));
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("bob", "Bob Example")));
  const { tg } = await startTestBot(t, world, { password: PASSWORD });
  await logIn(tg, ADMIN_CHAT, PASSWORD);
  const say = async (text: string) => textOf(await ask(tg, ADMIN_CHAT, text));

  assert.match(await say("/groups"), /No groups yet/);
  assert.match(await say("/group_add Course A"), /Usage: \/group_add <group name> = <person name or id>/);
  assert.match(await say("/group_add Course A = Анна Каренина"), /Added Анна Каренина to Course A \(new group\)/);
  assert.match(await say("/group_add course  a = bob"), /Added Bob Example to Course A\.$/, "found ignoring case and spaces");
  assert.match(await say("/group_add Course A = bob"), /already in Course A/);
  assert.match(await say("/group_add Course A = Nobody"), /Nobody/);
  assert.equal(await say("/group Course A"), "Course A (2):\nBob Example\nАнна Каренина");
  assert.match(await say("/group_remove Course A = Bob Example"), /Removed Bob Example from Course A/);
  assert.match(await say("/group_remove Course B = Bob Example"), /No group "Course B"/);
  assert.equal(await say("/groups"), "Course A — 1 member(s)");

  // a stranger: refused, nothing written
  const before = (await streamEnvelopes(bus, "SESSIONS")).length;
  assert.doesNotMatch(textOf(await ask(tg, STRANGER, "/group_add Course A = bob")), /Added/);
  const events = await streamEnvelopes(bus, "SESSIONS");
  assert.equal(events.length, before);
  assert.deepEqual(
    events.map((e) => e.type),
    ["GroupCreated", "GroupMembersChanged", "GroupMembersChanged", "GroupMembersChanged"],
  );
  assert.ok(events.every((e) => "by" in e.data && String(e.data.by).startsWith("telegram:")));
});
