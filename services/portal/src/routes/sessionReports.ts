import { LocalDate } from "@persona/contracts";
import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, badRequest } from "../http/errors.ts";
import { AttendanceRates, Id } from "../http/schemas.ts";
import { type ImageSource, findPdfFonts } from "../sessions/pdf/document.ts";
import {
  ReportError,
  type RatesReport,
  groupRates,
  occurrenceReportCsv,
  occurrenceReportPdf,
  ratesReportCsv,
  ratesReportPdf,
  sessionRates,
} from "../sessions/reports.ts";

const Period = z.object({
  from: LocalDate,
  to: LocalDate,
  /** Rates below it are flagged (default 0.75). */
  threshold: z.coerce.number().min(0).max(1).default(0.75),
});

function reported<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ReportError)
      throw err.kind === "not-found" ? new ApiError(404, "not-found", err.message) : badRequest(err.message);
    throw err;
  }
}

const sendCsv = (res: import("express").Response, name: string, csv: string) => {
  res.setHeader("Content-Type", "text/csv; charset=utf-8");
  res.setHeader("Content-Disposition", `attachment; filename="${name}.csv"`);
  res.status(200).send(csv);
  return null;
};

const sendPdf = (res: import("express").Response, name: string, pdf: Buffer) => {
  res.setHeader("Content-Type", "application/pdf");
  res.setHeader("Content-Disposition", `attachment; filename="${name}.pdf"`);
  res.setHeader("Cache-Control", "private, no-store");
  res.status(200).end(pdf);
  return null;
};

const PDF = { contentType: "application/pdf", description: "a printable PDF (A4)" } as const;

/** Session reports: an occurrence as CSV and PDF, rates across a series and a group over a period (JSON, CSV, PDF). */
export function sessionReportRoutes(api: Api, c: PortalContext): void {
  const fold = () => c.attendanceSessions.consumer.fold;
  const now = () => c.attendanceSessions.consumer.clock();
  const fonts = findPdfFonts();
  if (fonts.warning !== null) c.log.warn({ part: "reports" }, fonts.warning);
  const pdfOptions = { fonts };
  const images: ImageSource = async (bucket, key) => (await c.media.get(bucket, key))?.bytes ?? null;

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences/:date/report.pdf",
    summary:
      "An occurrence as a printable PDF: counts, each person by status with the enrolled photo beside the best capture, corrections, unknown faces; an exam's identity report",
    tag: "reports",
    role: "viewer",
    params: z.object({ sessionId: Id, date: LocalDate }),
    responses: { 200: PDF },
    async handler({ params, res }) {
      const pdf = await reported(() => occurrenceReportPdf(fold(), params.sessionId, params.date, now(), images, pdfOptions));
      return sendPdf(res, `${params.sessionId}-${params.date}`, pdf);
    },
  });

  api.add({
    method: "get",
    path: "/sessions/:sessionId/occurrences/:date/report.csv",
    summary:
      "An occurrence as CSV: a row per person (status, first seen, score, track, camera, corrections), then per unknown face",
    tag: "reports",
    role: "viewer",
    params: z.object({ sessionId: Id, date: LocalDate }),
    responses: {
      200: {
        contentType: "text/csv",
        description: "person_id,name,status,on_roster,first_seen,best_score,track_id,camera_id,probable_only,corrected_by",
      },
    },
    async handler({ params, res }) {
      const csv = reported(() => occurrenceReportCsv(fold(), params.sessionId, params.date, now()));
      return sendCsv(res, `${params.sessionId}-${params.date}`, csv);
    },
  });

  const rates =
    (kind: "session" | "group") =>
    (params: { id: string }, query: z.infer<typeof Period>): RatesReport =>
      reported(() =>
        kind === "session"
          ? sessionRates(fold(), params.id, query, now(), query.threshold)
          : groupRates(fold(), params.id, query, now(), query.threshold),
      );

  for (const kind of ["session", "group"] as const) {
    const base = kind === "session" ? "/sessions/:id/rates" : "/groups/:id/report";
    const what = kind === "session" ? "a session's series" : "a group's members over every session";
    api.add({
      method: "get",
      path: base,
      summary: `Attendance rates per person across ${what}, ended occurrences on local dates from..to`,
      tag: "reports",
      role: "viewer",
      params: z.object({ id: Id }),
      query: Period,
      responses: { 200: AttendanceRates },
      async handler({ params, query }) {
        return { status: 200, body: rates(kind)(params, query) };
      },
    });
    api.add({
      method: "get",
      path: `${base}.csv`,
      summary: `The same rates as CSV (${what})`,
      tag: "reports",
      role: "viewer",
      params: z.object({ id: Id }),
      query: Period,
      responses: {
        200: { contentType: "text/csv", description: "person_id,name,expected,attended,late,absent,excused,rate,below" },
      },
      async handler({ params, query, res }) {
        const r = rates(kind)(params, query);
        return sendCsv(res, `${params.id}-${query.from}-${query.to}`, ratesReportCsv(fold(), r));
      },
    });
    api.add({
      method: "get",
      path: `${base}.pdf`,
      summary: `The same rates as a printable PDF with a bar per person, those below the threshold highlighted (${what})`,
      tag: "reports",
      role: "viewer",
      params: z.object({ id: Id }),
      query: Period,
      responses: { 200: PDF },
      async handler({ params, query, res }) {
        const pdf = await ratesReportPdf(fold(), rates(kind)(params, query), pdfOptions);
        return sendPdf(res, `${params.id}-${query.from}-${query.to}`, pdf);
      },
    });
  }
}
