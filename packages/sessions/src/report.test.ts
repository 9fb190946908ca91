import assert from "node:assert/strict";
import { test } from "node:test";
import { type AttendanceView, attendanceView, correct, observe, openAttendance } from "./attendance.ts";
import { attendanceRates, csvCell, groupReport, occurrenceCsv, ratesCsv } from "./report.ts";

test("csvCell: RFC 4180 quoting and the formula guard on text (numbers as they are)", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell('say "hi", ok'), '"say ""hi"", ok"');
  assert.equal(csvCell("two\r\nlines"), '"two\r\nlines"');
  assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvCell("+1"), "'+1");
  assert.equal(csvCell("-2"), "'-2");
  assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvCell("=1,2"), `"'=1,2"`);
  assert.equal(csvCell(-0.5), "-0.5");
  assert.equal(csvCell(null), "");
  assert.equal(csvCell("Рогов; Игорь"), '"Рогов; Игорь"');
});

const T = (d: string, hhmm: string) => Date.parse(`${d}T${hhmm}:00Z`);
function view(
  date: string,
  roster: string[],
  arrivals: Record<string, string>,
  excused: string[] = [],
  now = T(date, "11:00"),
): AttendanceView {
  const s = openAttendance(
    {
      occurrenceId: `s1@${date}`,
      sessionId: "s1",
      name: "Algebra",
      date,
      kind: "class",
      cameras: ["c"],
      startAt: T(date, "09:00"),
      endAt: T(date, "10:00"),
      graceMinutes: 5,
      shifted: false,
    },
    roster,
  );
  for (const [personId, hhmm] of Object.entries(arrivals)) {
    observe(s, { trackId: `t-${personId}`, cameraId: "c", at: T(date, hhmm), personId, decision: "confirmed", score: 0.91234 });
  }
  for (const personId of excused) correct(s, { personId, action: "excuse", by: "t", at: T(date, "08:00") });
  return attendanceView(s, now);
}

test("occurrenceCsv: a header and a row per person and unknown track, names guarded, CRLF", () => {
  const v = view("2025-09-01", ["ann", "bob", "cid"], { ann: "09:00", bob: "09:30", zed: "09:01" }, ["cid"]);
  const csv = occurrenceCsv(
    v,
    new Map([
      ["ann", "=Ann"],
      ["bob", "Bob, Jr."],
    ]),
  );
  const lines = csv.split("\r\n");
  assert.equal(lines.at(-1), "");
  assert.deepEqual(lines.slice(0, -1), [
    "person_id,name,status,on_roster,first_seen,best_score,track_id,camera_id,probable_only,corrected_by",
    "ann,'=Ann,present,yes,2025-09-01T09:00:00.000Z,0.9123,t-ann,c,no,",
    'bob,"Bob, Jr.",late,yes,2025-09-01T09:30:00.000Z,0.9123,t-bob,c,no,',
    "cid,,excused,yes,,,,,no,excuse by t",
    "zed,,unexpected,no,2025-09-01T09:01:00.000Z,0.9123,t-zed,c,no,",
  ]);
});

test("rates: late counts as attended, excused leaves the denominator, only ended occurrences count, below 75% flagged", () => {
  const roster = ["ann", "bob", "cid"];
  const views = [
    view("2025-09-01", roster, { ann: "09:00", bob: "09:00" }),
    view("2025-09-08", roster, { ann: "09:30", bob: "09:00" }, ["cid"]),
    view("2025-09-15", roster, { ann: "09:00" }, ["cid"]),
    view("2025-09-22", roster, { bob: "09:00" }),
    view("2025-09-29", roster, {}, [], T("2025-09-29", "09:30")),
  ];
  const rates = attendanceRates(views);
  assert.deepEqual(
    rates.map((r) => [r.personId, r.expected, r.attended, r.late, r.absent, r.excused, r.rate, r.below]),
    [
      ["ann", 4, 3, 1, 1, 0, 0.75, false],
      ["bob", 4, 3, 0, 1, 0, 0.75, false],
      ["cid", 4, 0, 0, 2, 2, 0, true],
    ],
  );
  assert.equal(attendanceRates(views, { threshold: 0.8 }).filter((r) => r.below).length, 3);
  const g = groupReport(views, { groupId: "g1", members: ["ann", "cid"] }, { from: "2025-09-08", to: "2025-09-22" });
  assert.equal(g.occurrences, 3);
  assert.deepEqual(
    g.members.map((r) => [r.personId, r.rate]),
    [
      ["ann", 2 / 3],
      ["cid", 0],
    ],
  );
  assert.equal(g.meanRate, 1 / 3);
  assert.deepEqual(g.below, ["ann", "cid"]);
  const csv = ratesCsv(rates, new Map([["cid", "Cid"]]));
  assert.equal(csv.split("\r\n")[3], "cid,Cid,4,0,0,2,2,0,yes");
});
