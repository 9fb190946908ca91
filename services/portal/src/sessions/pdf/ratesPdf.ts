import type { RatesReport } from "../reports.ts";
import { COLORS, type PdfOptions, ReportPdf, percent } from "./document.ts";

/**
 * Attendance rates as a printable table with a horizontal bar per person (the rate, 0 to 100%) and the threshold as
 * a dashed line; rows below the threshold are highlighted. A person with no ended occurrence expected has no bar.
 */

export interface RatesPdfInput {
  report: RatesReport;
  /** "Math" (a session's series) or "Course A" (a group's members over every session). */
  title: string;
  /** What the rates are over: "session" or "group". */
  kind: "session" | "group";
}

const ROW = 16;
const COLUMNS = [
  ["expected", "exp."],
  ["attended", "att."],
  ["late", "late"],
  ["absent", "abs."],
  ["excused", "exc."],
] as const;
const NUM = 30;
const NAME = 170;
const RATE = 42;

export async function ratesPdf(input: RatesPdfInput, o: PdfOptions): Promise<Buffer> {
  const { report: r } = input;
  const pdf = new ReportPdf(o, `Attendance rates: ${input.title} ${r.from}..${r.to}`);
  const { doc } = pdf;
  doc
    .font("bold")
    .fontSize(18)
    .text(pdf.t(`Attendance rates: ${input.title}`), { width: pdf.width });
  doc.font("body").fontSize(11);
  const over = input.kind === "session" ? `session ${r.sessionId}` : `group ${r.groupId}, every session that expected them`;
  doc.text(pdf.t(`${r.from} to ${r.to} · ${over}`), { width: pdf.width });
  doc
    .fontSize(10)
    .text(
      `${r.occurrences} ended occurrence${r.occurrences === 1 ? "" : "s"} · mean rate ${percent(r.meanRate)} · ` +
        `${r.below.length} of ${r.items.length} below ${percent(r.threshold)} (highlighted) · late counts as attended, ` +
        "excused occurrences leave the denominator",
      { width: pdf.width },
    );
  doc.moveDown(0.8);
  header(pdf, r.threshold);
  for (const p of r.items) {
    if (pdf.ensure(ROW)) header(pdf, r.threshold);
    row(pdf, p, r.threshold);
  }
  if (r.items.length === 0) pdf.line("Nobody was expected in this period.", pdf.left, doc.y + 4, pdf.width);
  return pdf.end();
}

const barX = (pdf: ReportPdf) => pdf.left + NAME + COLUMNS.length * NUM + RATE + 6;
const barW = (pdf: ReportPdf) => pdf.left + pdf.width - barX(pdf);

function header(pdf: ReportPdf, threshold: number): void {
  const y = pdf.doc.y;
  const o = { bold: true, size: 8, color: COLORS.muted };
  pdf.line("name", pdf.left, y, NAME, o);
  for (const [i, [, label]] of COLUMNS.entries()) pdf.line(label, pdf.left + NAME + i * NUM, y, NUM, o);
  pdf.line("rate", pdf.left + NAME + COLUMNS.length * NUM, y, RATE, o);
  pdf.line("0%", barX(pdf), y, 30, o);
  pdf.line(`${percent(threshold)}`, barX(pdf) + threshold * barW(pdf) - 12, y, 40, o);
  pdf.doc
    .moveTo(pdf.left, y + 12)
    .lineTo(pdf.left + pdf.width, y + 12)
    .lineWidth(0.5)
    .strokeColor(COLORS.rule)
    .stroke();
  pdf.doc.x = pdf.left;
  pdf.doc.y = y + 15;
}

function row(pdf: ReportPdf, p: RatesReport["items"][number], threshold: number): void {
  const { doc } = pdf;
  const y = doc.y;
  if (p.below) doc.rect(pdf.left - 2, y - 2, pdf.width + 4, ROW).fill(COLORS.below);
  const color = p.below ? COLORS.bad : COLORS.text;
  pdf.line(p.name ?? p.personId, pdf.left, y, NAME - 4, { bold: p.below, color });
  for (const [i, [key]] of COLUMNS.entries()) pdf.line(String(p[key]), pdf.left + NAME + i * NUM, y, NUM, { color });
  pdf.line(percent(p.rate), pdf.left + NAME + COLUMNS.length * NUM, y, RATE, { bold: p.below, color });
  const x = barX(pdf);
  const w = barW(pdf);
  doc.rect(x, y + 1, w, ROW - 6).fill("#f3f3f3");
  if (p.rate !== null && p.rate > 0)
    doc.rect(x, y + 1, w * Math.min(1, p.rate), ROW - 6).fill(p.below ? COLORS.bad : COLORS.good);
  const tx = x + w * threshold;
  doc
    .moveTo(tx, y - 2)
    .lineTo(tx, y + ROW - 2)
    .dash(2, { space: 2 })
    .lineWidth(0.8)
    .strokeColor(COLORS.text)
    .stroke()
    .undash();
  doc.fillColor(COLORS.text);
  doc.x = pdf.left;
  doc.y = y + ROW;
}
