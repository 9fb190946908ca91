import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGroupsFile } from "./groupsFile.ts";

const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, "utf16le")]);

test("groups: one a line, UTF-8 with BOM, CRLF, spaces and blank lines; repeats counted once with a warning", () => {
  const bytes = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from("  ИВТ-21 \r\nStaff\r\n\r\nивт-21\r\n  \r\nGuests  of  2026", "utf8"),
  ]);
  const r = parseGroupsFile(bytes);
  assert.deepEqual(r, {
    ok: true,
    groups: ["ИВТ-21", "Staff", "Guests  of  2026"],
    warnings: ['groups line 4: "ивт-21" repeats line 1'],
  });
});

test("groups: UTF-16 and Windows-1251 like data.txt; an empty file is no group", () => {
  assert.deepEqual(parseGroupsFile(utf16le("Курс 1\nКурс 2\n")), { ok: true, groups: ["Курс 1", "Курс 2"], warnings: [] });
  const cp1251 = Buffer.from([0xca, 0xf3, 0xf0, 0xf1, 0x20, 0x31, 0x0d, 0x0a]); // "Курс 1\r\n"
  assert.deepEqual(parseGroupsFile(cp1251), { ok: true, groups: ["Курс 1"], warnings: [] });
  assert.deepEqual(parseGroupsFile(Buffer.alloc(0)), { ok: true, groups: [], warnings: [] });
});

test("a bad line rejects the folder with its line number", () => {
  const long = parseGroupsFile(Buffer.from(`ok\n${"x".repeat(201)}\n`), "Groups.txt");
  assert.deepEqual(long, {
    ok: false,
    reason: { code: "bad-groups", message: "Groups.txt line 2: a group name is at most 200 characters" },
  });
  const control = parseGroupsFile(Buffer.from("a\u0007b\n"));
  assert.equal(control.ok, false);
  assert.match(control.ok ? "" : control.reason.message, /line 1: a group name may not contain control characters/);
});
