import assert from "node:assert/strict";
import { test } from "node:test";
import { absenteesText, countsLine, digestDay, lastDigestAt, nextDigestAt } from "./sessions.ts";

const counts = {
  expected: 30,
  present: 25,
  late: 2,
  absent: 2,
  excused: 1,
  unexpected: 1,
  probableOnly: 0,
  unknownTracks: 3,
};
const ended = (absent: string[]) => ({ sessionId: "s1", date: "2026-03-02", endAt: 0, counts, absent });
const session = { name: "Algebra", timeZone: "Europe/Berlin", start: "10:00" };

test("the counts in one line: excused and not-on-roster only when there are some", () => {
  assert.equal(countsLine(counts), "25 present, 2 late, 2 absent, 1 excused of 30 expected; 1 not on the roster");
  assert.equal(countsLine({ ...counts, excused: 0, unexpected: 0 }), "25 present, 2 late, 2 absent of 30 expected");
});

test("absentees: sorted names, an unknown id said so, a long list cut at 100 with the rest counted", () => {
  const names: Record<string, string> = { a: "Zoe", b: "Adam" };
  const text = absenteesText(ended(["a", "b", "gone"]), session, (id) => names[id] ?? `${id} (no longer in the library)`);
  assert.deepEqual(text.split("\n").slice(1), ["Absent (3):", "• Adam", "• gone (no longer in the library)", "• Zoe"]);
  assert.match(text, /^📋 Algebra, Mon, 2 Mar 2026 10:00 has ended: /);
  const many = Array.from({ length: 250 }, (_, i) => `p${String(i).padStart(3, "0")}`);
  const long = absenteesText(ended(many), session, (id) => `Person ${id}`).split("\n");
  assert.equal(long.length, 1 + 1 + 100 + 1);
  assert.equal(long.at(-1), "… and 150 more");
  assert.ok(long.join("\n").length < 4096, "under Telegram's limit");
  // a session whose definition is gone: its id, no time
  assert.match(absenteesText(ended([]), null, String), /^📋 s1, Mon, 2 Mar 2026 has ended: .*\nNobody was absent\.$/);
});

test("digest times: the next and last local HH:MM, across a spring-forward night, and the day a digest covers", () => {
  const tz = "Europe/Berlin";
  // 29 March 2026: 02:00 -> 03:00 in Berlin
  assert.equal(nextDigestAt(Date.parse("2026-03-28T07:00:00Z"), "08:00", tz), Date.parse("2026-03-29T06:00:00Z"));
  assert.equal(nextDigestAt(Date.parse("2026-03-28T06:59:00Z"), "08:00", tz), Date.parse("2026-03-28T07:00:00Z"));
  assert.equal(
    nextDigestAt(Date.parse("2026-03-28T07:00:00Z"), "08:00", tz),
    Date.parse("2026-03-29T06:00:00Z"),
    "not the same instant again",
  );
  assert.equal(lastDigestAt(Date.parse("2026-03-29T06:00:00Z"), "08:00", tz), Date.parse("2026-03-29T06:00:00Z"));
  assert.equal(lastDigestAt(Date.parse("2026-03-29T05:59:59Z"), "08:00", tz), Date.parse("2026-03-28T07:00:00Z"));
  // the digest of 30 March covers the 23-hour 29 March
  assert.deepEqual(digestDay(Date.parse("2026-03-30T06:00:00Z"), tz), {
    date: "2026-03-29",
    from: Date.parse("2026-03-28T23:00:00Z"),
    to: Date.parse("2026-03-29T22:00:00Z"),
  });
});
