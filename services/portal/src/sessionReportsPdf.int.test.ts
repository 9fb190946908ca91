import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { TINY_JPEG, pdfSummary } from "./sessions/pdf/pdfText.ts";
import { type Client, type Harness, call, recognizedData, startHarness, unknownData, until } from "./testSupport.ts";

/**
 * The printable reports through the portal (real nats-server, real SQLite): a class and an exam with enrolled photos
 * in the photos bucket and JPEG crops on the sightings; the occurrence PDF (names, Cyrillic included, statuses,
 * corrections with who, photos and crops embedded, the exam's identity report), the rates and group PDFs with the
 * threshold as a query parameter, and the 4xx of bad requests.
 */

const T = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00.000Z`);
let now = T("08:00");
const DATE = "2026-03-02";
const ROGOV = "Рогов Игорь Евгеньевич";
/** The highlight of a row below the threshold (COLORS.below, #fde2e2) as pdfkit writes it. */
const HIGHLIGHT = /^0\.99215\d* 0\.88627\d* 0\.88627\d* scn$/m;

const jpegCrop = () => ({ kind: "inline" as const, contentType: "image/jpeg" as const, base64: TINY_JPEG.toString("base64") });

async function pdfOf(base: string, path: string, client: Client | null) {
  const res = await fetch(`${base}/api/v1${path}`, { headers: client ? { cookie: client.cookie } : {} });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get("content-type"), bytes };
}

describe("the sessions' PDF reports", () => {
  let h: Harness;
  let base: string;
  let operator: Client;
  let viewer: Client;
  let detection = 0;
  const uuid = () => `00000000-0000-4000-8000-${String(++detection).padStart(12, "0")}`;

  async function enroll(personId: string, name: string, withPhoto: boolean) {
    const key = `${personId}/${createHash("sha256").update(personId).digest("hex")}.jpg`;
    if (withPhoto) await (await h.bus.objectStore("photos")).putBlob({ name: key }, TINY_JPEG);
    const photo = { bucket: "photos", key, contentType: "image/jpeg", size: TINY_JPEG.length, sha256: "a".repeat(64) };
    const env = h.bus.envelope("PersonEnrolled", {
      ...{ personId, name, description: "", photos: withPhoto ? [photo] : [], sound: null },
      ...{ source: "cli" as const, importKey: null },
    });
    await h.portal.sessions.waitFor("LIBRARY", (await h.bus.publish(env)).seq);
  }

  async function seen(camera: string, track: string, personId: string | null, hhmm: string) {
    const frameAt = new Date(T(hhmm)).toISOString();
    const crop = jpegCrop();
    const id = uuid();
    const env =
      personId === null
        ? h.bus.envelope("UnknownFaceSeen", { ...unknownData(camera, track, id), frameAt, crop })
        : h.bus.envelope("FaceRecognized", { ...recognizedData(camera, track, personId, personId, id), frameAt, crop });
    return { seq: (await h.bus.publish(env)).seq, crop: `/media/crops/inline/${id}.jpg` };
  }

  before(async () => {
    h = await startHarness({ clock: () => now, sessionsTickMs: 0 });
    base = h.portal.url;
    [, operator, viewer] = await h.clients(["proctor", "operator"], ["watcher", "viewer"]);
    await enroll("ann", ROGOV, true);
    await enroll("bob", "Bob Ray", true);
    await enroll("cat", "Cat Poe", true);
    await enroll("dan", "Dan Excused", false);
    await enroll("eve", "Eve Planted", true);
    const group = { groupId: "course", name: "Курс А", kind: "course" };
    assert.equal((await call(base, "POST", "/groups", { client: operator, json: group })).status, 201);
    const members = { add: ["ann", "bob", "cat", "dan"] };
    assert.equal((await call(base, "POST", "/groups/course/members", { client: operator, json: members })).status, 200);
    const klass = {
      ...{ sessionId: "math", name: "Математика", kind: "class", cameras: ["room1"], timeZone: "Europe/Moscow" },
      ...{ start: "12:00", end: "13:00", firstDate: DATE, recurrence: { kind: "none" }, exceptions: [] },
      ...{ roster: { groups: ["course"], people: [] }, graceMinutes: 10 },
    };
    assert.equal((await call(base, "POST", "/sessions", { client: operator, json: klass })).status, 201);
    const exam = {
      ...klass,
      ...{ sessionId: "final", name: "Final exam", kind: "exam", cameras: ["hall"], start: "14:00", end: "15:00" },
      roster: { groups: [], people: ["ann"] },
    };
    assert.equal((await call(base, "POST", "/sessions", { client: operator, json: exam })).status, 201);

    await seen("room1", "t-ann", "ann", "09:01"); // 12:01 in Moscow: present
    await seen("room1", "t-cat", "cat", "09:20"); // late
    await seen("room1", "u-1", null, "09:30");
    await seen("hall", "x-ann", "ann", "11:02");
    const last = await seen("hall", "x-eve", "eve", "11:05"); // not on the exam's roster: an alert
    await h.portal.sessions.waitFor("SIGHTINGS", last.seq);
    // the inline crops are read through the sightings read model: wait until it has the last one
    await until("the last crop served", async () => (await call(base, "GET", last.crop, { client: viewer })).status === 200);
    now = T("09:40");
    const excuse = { personId: "dan", action: "excuse", reason: "ill" };
    const r = await call(base, "POST", `/sessions/math/occurrences/${DATE}/corrections`, { client: operator, json: excuse });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    now = T("12:30");
    await h.portal.sessions.tick();
  });
  after(async () => {
    await h?.dispose();
  });

  test("an occurrence: a PDF with every person by status, the photos beside the captures, the corrections with who", async () => {
    const r = await pdfOf(base, `/sessions/math/occurrences/${DATE}/report.pdf`, viewer);
    assert.equal(r.status, 200, r.bytes.toString());
    assert.equal(r.type, "application/pdf");
    assert.equal(r.bytes.subarray(0, 5).toString(), "%PDF-");
    const pdf = pdfSummary(r.bytes);
    assert.ok(pdf.pages.length >= 1 && pdf.pages.length <= 3, `${pdf.pages.length} pages`);
    const text = pdf.pages.join("\n");
    for (const s of [
      "Математика",
      `class on ${DATE}, 12:00–13:00 (Europe/Moscow)`,
      "Present (1)",
      ROGOV,
      "Late (1)",
      "Cat Poe",
      "Absent (1)",
      "Bob Ray",
      "Excused (1)",
      "Dan Excused",
      "excused by proctor",
      "excuse Dan Excused by proctor: ill",
      "Unknown faces (1)",
      "first seen 12:01:00 · score 0.91 · camera room1",
    ]) {
      assert.ok(text.includes(s), `the PDF lacks ${JSON.stringify(s)}:\n${text}`);
    }
    assert.ok(text.indexOf("Present (1)") < text.indexOf("Late (1)") && text.indexOf("Late (1)") < text.indexOf("Absent (1)"));
    // photos: ann, bob, cat (dan has none); crops: ann's, cat's and the unknown face's
    assert.equal(pdf.images, 6);
  });

  test("an exam occurrence: also the identity report with the alert of the person not on the roster", async () => {
    const r = await pdfOf(base, `/sessions/final/occurrences/${DATE}/report.pdf`, viewer);
    assert.equal(r.status, 200);
    const text = pdfSummary(r.bytes).pages.join("\n");
    for (const s of ["Identity report", ROGOV, "Eve Planted", "NOT ON THE ROSTER", "not-on-roster: Eve Planted at camera hall"]) {
      assert.ok(text.includes(s), `the exam PDF lacks ${JSON.stringify(s)}:\n${text}`);
    }
  });

  test("rates and a group: a row per person with a bar, those below the threshold highlighted; the threshold is a parameter", async () => {
    const rates = await pdfOf(base, `/sessions/math/rates.pdf?from=${DATE}&to=${DATE}`, viewer);
    assert.equal(rates.status, 200);
    assert.equal(rates.bytes.subarray(0, 5).toString(), "%PDF-");
    const pdf = pdfSummary(rates.bytes);
    assert.equal(pdf.pages.length, 1);
    assert.equal(pdf.images, 0);
    const text = pdf.pages.join("\n");
    for (const s of ["Attendance rates: Математика", ROGOV, "Bob Ray", "Cat Poe", "1 of 4 below 75%"]) {
      assert.ok(text.includes(s), `the rates PDF lacks ${JSON.stringify(s)}:\n${text}`);
    }
    assert.match(rates.bytes.toString("latin1"), /FlateDecode/, "compressed in production");
    const highlighted = (b: Buffer) => pdfSummary(b).contents.some((c) => HIGHLIGHT.test(c));
    assert.ok(highlighted(rates.bytes), "bob's row is highlighted");
    const none = await pdfOf(base, `/sessions/math/rates.pdf?from=${DATE}&to=${DATE}&threshold=0`, viewer);
    assert.ok(pdfSummary(none.bytes).pages.join("\n").includes("0 of 4 below 0%"));
    assert.ok(!highlighted(none.bytes), "nobody is below 0%");

    const group = await pdfOf(base, `/groups/course/report.pdf?from=2026-03-01&to=2026-03-07&threshold=0.5`, viewer);
    assert.equal(group.status, 200);
    const g = pdfSummary(group.bytes).pages.join("\n");
    assert.ok(g.includes("Attendance rates: Курс А") && g.includes(ROGOV) && g.includes("1 of 4 below 50%"), g);
  });

  test("4xx: unknown session, group or date, a bad date or period, no login", async () => {
    const q = `?from=${DATE}&to=${DATE}`;
    assert.equal((await pdfOf(base, `/sessions/nope/occurrences/${DATE}/report.pdf`, viewer)).status, 404);
    assert.equal((await pdfOf(base, "/sessions/math/occurrences/2026-03-03/report.pdf", viewer)).status, 404);
    assert.equal((await pdfOf(base, "/sessions/math/occurrences/2026-02-30/report.pdf", viewer)).status, 400);
    assert.equal((await pdfOf(base, `/sessions/nope/rates.pdf${q}`, viewer)).status, 404);
    assert.equal((await pdfOf(base, `/groups/nope/report.pdf${q}`, viewer)).status, 404);
    assert.equal((await pdfOf(base, "/sessions/math/rates.pdf?from=2026-03-09&to=2026-03-01", viewer)).status, 400);
    assert.equal((await pdfOf(base, `/sessions/math/rates.pdf${q}&threshold=2`, viewer)).status, 400);
    assert.equal((await pdfOf(base, `/sessions/math/occurrences/${DATE}/report.pdf`, null)).status, 401);
    assert.equal((await pdfOf(base, `/groups/course/report.pdf${q}`, null)).status, 401);
  });
});
