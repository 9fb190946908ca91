import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Bus } from "@persona/bus";
import { personEnrolled, testBus } from "@persona/bus/testing";
import type { ImageRef } from "@persona/contracts";
import { inlineCrop, putBlob, recognized } from "@persona/service-cleaner/testing";
import { TINY_JPEG, pdfSummary } from "@persona/service-portal";
import { startNatsServer, tempDir } from "@persona/testing";
import { reportCommand } from "./commands/report.ts";
import { CliError, UsageError } from "./errors.ts";
import { capture } from "./testing/capture.ts";

const T = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00.000Z`);

/** Ann and Bob (named `names`) in a group, a class "math" on 2026-03-02 09:00-10:00 UTC at room1, Ann seen at 09:01. */
async function scheduleClass(bus: Bus, names: [string, string], crop: ImageRef, photo?: Buffer) {
  await bus.applyTopology();
  for (const [id, name] of [
    ["ann", names[0]],
    ["bob", names[1]],
  ] as const) {
    const photos = photo ? [await putBlob(bus, "photos", `${id}/photo.jpg`, photo)] : [];
    await bus.publish(bus.envelope("PersonEnrolled", personEnrolled(id, name, { photos })));
  }
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
  await bus.publish(recognized(bus, "room1", "t1", "ann", new Date(T("09:01")).toISOString(), crop));
}

test("persona report: an occurrence as CSV and JSON, a group's rates, from the streams alone; clear errors", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "portal");
  t.after(() => bus.close());
  await scheduleClass(bus, ["Ann Lee", "Bob Ray"], inlineCrop("t1"));
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

test("persona report --pdf: an occurrence with the photos and a Cyrillic name, a group's rates with a chart; clear errors", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "portal");
  t.after(() => bus.close());
  const jpeg: ImageRef = { kind: "inline", contentType: "image/jpeg", base64: TINY_JPEG.toString("base64") };
  await scheduleClass(bus, ["Рогов Игорь Евгеньевич", "Bob Ray"], jpeg, TINY_JPEG);
  const env = { NATS_URL: server.url };
  const now = T("11:00");
  const dir = tempDir(t, "persona-report-");

  const file = join(dir, "math.pdf");
  const out = capture();
  assert.equal(await reportCommand({ session: "math", date: "2026-03-02", pdf: file, json: false, env, now }, out), 0);
  assert.match(out.out, /^wrote .*math\.pdf \(\d+ bytes\)\n$/);
  const pdf = readFileSync(file);
  assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
  const occurrence = pdfSummary(pdf);
  assert.equal(occurrence.pages.length, 1);
  const text = occurrence.pages.join("\n");
  for (const s of ["Math", "Present (1)", "Рогов Игорь Евгеньевич", "Absent (1)", "Bob Ray"]) assert.ok(text.includes(s), s);
  assert.equal(occurrence.images, 3, "both photos and ann's crop (read through the replayed crop locators)");

  const rates = join(dir, "rates.pdf");
  const json = capture();
  assert.equal(
    await reportCommand({ group: "course", from: "2026-03-01", to: "2026-03-07", pdf: rates, json: true, env, now }, json),
    0,
  );
  const doc = JSON.parse(json.out) as { version: number; pdf: { file: string; bytes: number; font: string | null } };
  assert.equal(doc.pdf.file, rates);
  assert.equal(doc.pdf.bytes, readFileSync(rates).length);
  const r = pdfSummary(readFileSync(rates)).pages.join("\n");
  assert.ok(r.includes("Attendance rates: Course") && r.includes("1 of 2 below 75%") && r.includes("Рогов Игорь Евгеньевич"), r);

  await assert.rejects(
    reportCommand({ session: "nope", date: "2026-03-02", pdf: file, json: false, env, now }, capture()),
    CliError,
  );
  await assert.rejects(
    reportCommand(
      { session: "math", date: "2026-03-02", pdf: join(dir, "no", "such", "dir.pdf"), json: false, env, now },
      capture(),
    ),
    /cannot write/,
  );
  await assert.rejects(
    reportCommand({ session: "math", date: "2026-03-02", pdf: " ", json: false, env, now }, capture()),
    UsageError,
  );
});
