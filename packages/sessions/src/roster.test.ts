import assert from "node:assert/strict";
import { test } from "node:test";
import { sessionsEvent } from "./events.ts";
import { detectSeparator, parseCsv, planRoster } from "./roster.ts";
import { type PeopleFact, emptySessions, evolve } from "./state.ts";

function library() {
  const s = emptySessions();
  const people: [string, string][] = [
    ["p-rogov", "Рогов Игорь Евгеньевич"],
    ["p-ann", "Ann Lee"],
    ["p-ivan1", "Иванов Иван"],
    ["p-ivan2", "Иванов  Иван"],
  ];
  for (const [personId, name] of people) evolve(s, { type: "PersonEnrolled", data: { personId, name } } satisfies PeopleFact);
  evolve(s, sessionsEvent("GroupCreated", { groupId: "ivt-21", name: "ИВТ-21", by: "t" }));
  evolve(s, sessionsEvent("GroupCreated", { groupId: "staff", name: "Staff", by: "t" }));
  evolve(s, sessionsEvent("GroupMembersChanged", { groupId: "staff", added: ["p-ann"], removed: [], by: "t" }));
  return s;
}

test("parseCsv: quotes, doubled quotes, separators and line breaks inside quotes, CRLF, a BOM; line numbers of each record", () => {
  const text = '\uFEFFa,"b, ""c"""\r\n"multi\nline",x\r\n\r\n  d  ;e,f\n';
  assert.deepEqual(parseCsv(text, ",").records, [
    { line: 1, cells: ["a", 'b, "c"'] },
    { line: 2, cells: ["multi\nline", "x"] },
    { line: 4, cells: [""] },
    { line: 5, cells: ["d  ;e", "f"] },
  ]);
  assert.equal(parseCsv('a,"never closed\nb,c', ",").unterminatedAt, 1);
  assert.equal(detectSeparator("Рогов Игорь;ИВТ-21\nAnn Lee;Staff\n"), ";");
  assert.equal(detectSeparator('"Lee; Ann",Staff\n'), ",");
});

test("a roster with a BOM, CRLF, ';', a header, Cyrillic names in any case and spacing: the members to add, per group", () => {
  const text = "\uFEFFperson;group\r\n  рогов   игорь евгеньевич ;ивт-21\r\n\r\np-ann;ИВТ-21\r\nAnn Lee;staff\r\n";
  const plan = planRoster(text, library(), { by: "admin" });
  assert.ok(plan.ok);
  assert.deepEqual(plan.commands, [
    { kind: "change-members", groupId: "ivt-21", add: ["p-rogov", "p-ann"], remove: [], by: "admin" },
  ]);
  assert.deepEqual(
    plan.report.lines.map((l) => [l.line, l.outcome]),
    [
      [1, "header"],
      [2, "add"],
      [4, "add"],
      [5, "already-member"],
    ],
  );
  assert.deepEqual(plan.report.summary, { lines: 3, add: 2, alreadyMember: 1, duplicate: 0, errors: 0 });
  assert.equal(plan.report.separator, ";");
});

test("every bad line has its error with its line number, and nothing is planned", () => {
  const text = [
    "Ann Lee,Staff",
    "Nobody Here,Staff",
    "иванов иван,ИВТ-21",
    "Ann Lee,Ghosts",
    "just one field",
    "Ann Lee,Staff",
    ",Staff",
  ].join("\n");
  const plan = planRoster(text, library(), { by: "admin" });
  assert.equal(plan.ok, false);
  assert.deepEqual(plan.commands, []);
  assert.deepEqual(plan.report.errors, [
    { line: 2, message: 'unknown person "Nobody Here"' },
    { line: 3, message: 'ambiguous person "иванов иван": 2 share that name (p-ivan1, p-ivan2); use the id' },
    { line: 4, message: 'unknown group "Ghosts"' },
    { line: 5, message: "expected 2 fields (person, group), found 1" },
    { line: 7, message: "the person is empty" },
  ]);
  assert.deepEqual(plan.report.warnings, [{ line: 6, message: "same as line 1: skipped" }]);
});

test("createGroups: unknown groups are created once (first spelling kept), before their members are added", () => {
  const text = 'Ann Lee,"Guests  2025"\np-rogov,guests 2025\np-ivan1,Staff\n';
  const plan = planRoster(text, library(), {
    by: "admin",
    createGroups: true,
    groupKind: "guests",
    groupIdFor: () => "guests-2025",
  });
  assert.ok(plan.ok);
  assert.deepEqual(plan.commands, [
    { kind: "create-group", groupId: "guests-2025", name: "Guests 2025", by: "admin", groupKind: "guests" },
    { kind: "change-members", groupId: "guests-2025", add: ["p-ann", "p-rogov"], remove: [], by: "admin" },
    { kind: "change-members", groupId: "staff", add: ["p-ivan1"], remove: [], by: "admin" },
  ]);
  const byDefault = planRoster("Ann Lee,Новая группа\n", library(), { by: "a", createGroups: true });
  assert.match(byDefault.report.groupsCreated[0]?.groupId ?? "", /^g-[0-9a-f]{16}$/);
});

test("an unterminated quote is an error: nothing planned", () => {
  const plan = planRoster('Ann Lee,Staff\n"p-rogov,ИВТ-21\n', library(), { by: "a" });
  assert.equal(plan.ok, false);
  assert.deepEqual(plan.report.errors, [{ line: 2, message: "a quote opened on this line is never closed" }]);
});
