import assert from "node:assert/strict";
import { test } from "node:test";
import { personEnrolled } from "@persona/bus/testing";
import type { DataOf } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { waitFor } from "@persona/testing";
import { DailyDigest, type SessionNoticeDeps } from "./sessions.ts";
import type { RecordedCall } from "./testing/fakeTelegram.ts";
import { ask, logIn, startBotWorld, startTestBot, textOf } from "./testing/harness.ts";

/**
 * Sessions in Telegram: real nats-server, SQLite, the fake Bot API. The absentees of an ended occurrence go to the
 * chats linked to its owner (/link), else to the chats subscribed to alerts; the daily digest, on an injected clock.
 */

const PASSWORD = "correct horse battery staple";
const TEACHER = 801; // linked to the console user "teacher"
const DUTY = 802; // subscribed to alerts, linked to no one
const OTHER = 803; // logged in, neither subscribed nor linked
const STRANGER = 599;

const session = (sessionId: string, name: string, owner: string): DataOf<"SessionScheduled"> => ({
  sessionId,
  name,
  kind: "class",
  cameras: ["hall"],
  timeZone: "Europe/Moscow",
  start: "10:00",
  end: "11:30",
  firstDate: "2026-03-02",
  recurrence: { kind: "weekly", days: [1, 3], until: "2026-06-30" },
  exceptions: [],
  roster: { groups: [], people: ["ann", "bob", "cid"] },
  graceMinutes: 10,
  owner,
});

const ended = (sessionId: string, date: string, endAt: string, absent: string[]): DataOf<"OccurrenceEnded"> => ({
  sessionId,
  date,
  endAt: Date.parse(endAt),
  counts: {
    expected: 3,
    present: 3 - absent.length - 1,
    late: 1,
    absent: absent.length,
    excused: 0,
    unexpected: 0,
    probableOnly: 0,
    unknownTracks: 0,
  },
  absent,
});

test("absentees go to the owner's linked chats, else to the alert chats; the daily digest at its local time", async (t) => {
  const world = await startBotWorld(t, "bot-sessions-");
  const { bus } = world;
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("ann", "Анна Каренина")));
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("bob", "Bob Example")));
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("cid", "Cid Example")));
  await bus.publish(bus.envelope("SessionScheduled", session("s1", "Algebra", "teacher")));
  await bus.publish(bus.envelope("SessionScheduled", session("s2", "Physics", "nobody-linked")));
  // an occurrence that ended before the bot ever ran: not sent (the durable starts at new messages)
  await bus.publish(bus.envelope("OccurrenceEnded", ended("s1", "2026-02-25", "2026-02-25T08:30:00Z", ["ann"])));

  let now = Date.parse("2026-03-02T12:00:00Z");
  const { bot, tg } = await startTestBot(
    t,
    world,
    { password: PASSWORD, now: () => now },
    { timeZone: "Europe/Moscow", digestAt: "08:00" },
  );
  for (const chat of [TEACHER, DUTY, OTHER]) await logIn(tg, chat, PASSWORD);
  await ask(tg, DUTY, "/subscribe");

  // /link: bad input, show, link
  assert.match(textOf(await ask(tg, TEACHER, "/link")), /not linked/);
  assert.match(textOf(await ask(tg, TEACHER, `/link ${"x".repeat(65)}`)), /1 to 64 characters/);
  assert.match(textOf(await ask(tg, TEACHER, "/link teacher")), /sessions teacher owns/);
  assert.match(textOf(await ask(tg, TEACHER, "/link")), /linked to the console user teacher/);
  // a stranger is refused and linked to nothing
  assert.doesNotMatch(textOf(await ask(tg, STRANGER, "/link teacher")), /teacher/);

  const sent = (chatId: number, from: number) =>
    tg.calls.slice(from).filter((c: RecordedCall) => c.chatId === chatId && c.method === "sendMessage");

  // s1 (owner teacher, linked): to TEACHER only, the absentees by name
  let from = tg.calls.length;
  await bus.publish(bus.envelope("OccurrenceEnded", ended("s1", "2026-03-02", "2026-03-02T08:30:00Z", ["cid", "ann"])));
  const toTeacher = await tg.waitForCall((c) => c.chatId === TEACHER && textOf(c).startsWith("📋"), { from });
  assert.equal(
    textOf(toTeacher),
    [
      "📋 Algebra, Mon, 2 Mar 2026 10:00 has ended: 0 present, 1 late, 2 absent of 3 expected.",
      "Absent (2):",
      "• Cid Example",
      "• Анна Каренина",
    ].join("\n"),
  );
  // s2 (owner linked to no chat): to the alert chat
  await bus.publish(bus.envelope("OccurrenceEnded", ended("s2", "2026-03-02", "2026-03-02T08:30:00Z", [])));
  const toDuty = await tg.waitForCall((c) => c.chatId === DUTY && textOf(c).startsWith("📋"), { from });
  assert.match(
    textOf(toDuty),
    /^📋 Physics, Mon, 2 Mar 2026 10:00 has ended: 2 present, 1 late, 0 absent of 3 expected\.\nNobody was absent\.$/,
  );
  await waitFor(async () => {
    const c = await bus.jsm.consumers.info("SESSIONS", "bot-sessions");
    return c.num_pending === 0 && c.num_ack_pending === 0;
  });
  await tg.drained();
  assert.equal(sent(TEACHER, from).length, 1, "the teacher got s1's only");
  assert.equal(sent(DUTY, from).length, 1, "the alert chat got s2's only");
  assert.equal(sent(OTHER, from).length, 0);
  assert.equal(sent(STRANGER, from).length, 0);
  assert.equal(
    tg.calls.some((c) => textOf(c).includes("2026-02-25") || textOf(c).includes("25 Feb")),
    false,
  );

  // the digest: 08:00 in Moscow is 05:00 UTC; next day's Wednesday occurrence ends too
  await bus.publish(bus.envelope("OccurrenceEnded", ended("s1", "2026-03-04", "2026-03-04T08:30:00Z", ["bob"])));
  await tg.waitForCall((c) => c.chatId === TEACHER && textOf(c).includes("Wed, 4 Mar"), { from });
  assert.equal(bot.digest?.nextAt, Date.parse("2026-03-03T05:00:00Z"));
  now = Date.parse("2026-03-03T04:59:59Z");
  // a second bot replica: only the KV claim is reached (its Telegram, chats and library are never used when it skips)
  const replica = new DailyDigest({ bus, now: () => now, log: createLogger("bot", "silent") } as unknown as SessionNoticeDeps, {
    at: "08:00",
    timeZone: "Europe/Moscow",
  });
  assert.deepEqual(await bot.digest?.check(), [], "not yet");
  from = tg.calls.length;
  now = Date.parse("2026-03-03T05:00:30Z");
  assert.deepEqual(await bot.digest?.check(), [TEACHER, DUTY]);
  assert.equal(
    textOf(sent(TEACHER, from)[0] ?? { params: {} }),
    "🗓 Sessions on 2026-03-02: 1 occurrence\n• Algebra, Mon, 2 Mar 2026 10:00: 0 present, 1 late, 2 absent of 3 expected",
  );
  assert.match(textOf(sent(DUTY, from)[0] ?? { params: {} }), /^🗓 Sessions on 2026-03-02: 1 occurrence\n• Physics/);
  assert.equal(bot.digest?.nextAt, Date.parse("2026-03-04T05:00:00Z"));
  assert.deepEqual(await bot.digest?.check(), [], "once a day");
  // a second bot replica's digest, due at the same time on the same bus, finds the day claimed and sends nothing
  assert.deepEqual(await replica.check(), [], "one digest a day across replicas");

  // unlinked: the teacher's sessions go to the alert chat
  await ask(tg, TEACHER, "/unlink");
  now = Date.parse("2026-03-05T05:00:10Z");
  from = tg.calls.length;
  assert.deepEqual(await bot.digest?.check(), [DUTY]);
  assert.match(
    textOf(sent(DUTY, from)[0] ?? { params: {} }),
    /Sessions on 2026-03-04: 1 occurrence\n• Algebra, Wed, 4 Mar 2026 10:00: .* 1 absent/,
  );
});
