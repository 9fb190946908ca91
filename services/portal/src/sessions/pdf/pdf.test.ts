import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { z } from "zod";
import type { OccurrenceView } from "../../http/schemas.ts";
import { findPdfFonts, localTime } from "./document.ts";
import { occurrencePdf } from "./occurrencePdf.ts";
import { TINY_JPEG, pdfSummary } from "./pdfText.ts";
import { ratesPdf } from "./ratesPdf.ts";

/** The PDF reports without a font or with broken pictures: a warning and a PDF, never an exception. */

const NO_FONT = findPdfFonts([{ regular: "/nonexistent/DejaVuSans.ttf", bold: "/nonexistent/DejaVuSans-Bold.ttf" }]);

const person = (personId: string, name: string, cropKey: string | null) => ({
  ...{ personId, name, status: "present" as const, onRoster: true, firstSeenAt: "2026-03-02T09:01:00.000Z", score: 0.9 },
  ...{ trackId: "t1", cameraId: "room1", cropKey, photoKey: `${personId}/p.jpg`, tracks: 1, probableOnly: false, manual: null },
});

const counts = {
  expected: 2,
  present: 2,
  late: 0,
  absent: 0,
  notYetSeen: 0,
  excused: 0,
  unexpected: 0,
  probableOnly: 0,
  unknown: 0,
};
const view = (present: ReturnType<typeof person>[]): z.infer<typeof OccurrenceView> => ({
  ...{ occurrenceId: "math@2026-03-02", sessionId: "math", name: "Math", date: "2026-03-02", kind: "class" },
  ...{ startAt: "2026-03-02T09:00:00.000Z", endAt: "2026-03-02T10:00:00.000Z", lateAfter: "2026-03-02T09:05:00.000Z" },
  ...{ phase: "ended", at: "2026-03-02T11:00:00.000Z", started: true, expected: ["ann", "bob"], counts, present },
  ...{ late: [], absent: [], notYetSeen: [], excused: [], unexpected: [], probableOnly: [], unknown: [] },
  ...{ corrections: [], negatives: [] },
});

describe("PDF reports", () => {
  test("no TrueType font: a warning naming the Debian package, and Helvetica with '?' for what Latin-1 lacks", async () => {
    assert.equal(NO_FONT.embedded, null);
    assert.match(NO_FONT.warning ?? "", /fonts-dejavu-core/);
    const item = {
      personId: "ann",
      name: "Рогов Игорь",
      expected: 1,
      attended: 0,
      late: 0,
      absent: 1,
      excused: 0,
      rate: 0,
      below: true,
    };
    const report = { sessionId: null, groupId: "g", from: "2026-03-01", to: "2026-03-07", threshold: 0.75, occurrences: 1 };
    const pdf = await ratesPdf(
      { title: "Курс", kind: "group", report: { ...report, meanRate: 0, below: ["ann"], items: [item] } },
      { fonts: NO_FONT },
    );
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    const text = pdfSummary(pdf).pages.join("\n");
    assert.match(text, /Warning: no TrueType font/);
    assert.ok(text.includes("Attendance rates: ????") && text.includes("????? ?????"), text);
  });

  test("a missing, broken or unreadable picture is a grey box, the rest are embedded once each", async () => {
    const images = async (bucket: string, key: string) => {
      if (key === "bob/p.jpg") throw new Error("object store away");
      if (bucket === "crops" && key === "bad.jpg") return Buffer.from("not a jpeg");
      return key === "ann/p.jpg" || key === "good.jpg" ? TINY_JPEG : null;
    };
    const pdf = await occurrencePdf(
      {
        view: view([person("ann", "Ann Lee", "good.jpg"), person("bob", "Bob Ray", "bad.jpg")]),
        timeZone: "UTC",
        graceMinutes: 5,
        cameras: ["room1"],
        exam: null,
      },
      images,
      { fonts: NO_FONT },
    );
    const s = pdfSummary(pdf);
    assert.equal(s.images, 2, "ann's photo and crop");
    assert.ok(s.pages[0]?.includes("no photo") && s.pages[0]?.includes("no capture"));
  });

  test("times are local to the session's time zone", () => {
    assert.equal(localTime("2026-03-02T09:01:05.000Z", "Europe/Moscow"), "12:01:05");
    assert.equal(localTime("2026-03-29T23:30:00.000Z", "Europe/Berlin", true), "2026-03-30 01:30:00");
    assert.equal(localTime(null, "UTC"), "—");
  });
});
