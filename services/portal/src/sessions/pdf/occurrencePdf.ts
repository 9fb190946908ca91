import type { z } from "zod";
import type { AttendancePerson, ExamReport, OccurrenceView, SessionUnknownTrack } from "../../http/schemas.ts";
import { COLORS, type ImageBucket, type ImageSource, type PdfOptions, ReportPdf, localTime, score } from "./document.ts";

/**
 * The printable report of one occurrence: the title (session, date, times and time zone), the counts, each person by
 * status with the enrolled photo beside the best capture, first seen, score and the manual correction with who made
 * it; the corrections in order; the unknown faces with their crops; for an exam, the identity report (candidates with
 * their evidence and verdicts, flags, alerts).
 */

type Person = z.infer<typeof AttendancePerson>;
type View = z.infer<typeof OccurrenceView>;
type Exam = z.infer<typeof ExamReport>;

export interface OccurrencePdfInput {
  view: View;
  /** The session's time zone (every time is printed in it). */
  timeZone: string;
  graceMinutes: number;
  cameras: string[];
  /** The identity report when the session is an exam. */
  exam: Exam | null;
}

const SECTIONS = [
  ["present", "Present", COLORS.good],
  ["late", "Late", COLORS.warn],
  ["absent", "Absent", COLORS.bad],
  ["notYetSeen", "Not yet seen", COLORS.muted],
  ["excused", "Excused", COLORS.muted],
  ["unexpected", "Unexpected (not on the roster)", COLORS.info],
  ["probableOnly", "Probable only (never counted present)", COLORS.info],
] as const;

const PHOTO = 56;
const UNKNOWN_CELL = 64;
/** At most this many unknown faces are drawn (the rest are counted). */
export const MAX_UNKNOWN_FACES = 240;

export async function occurrencePdf(input: OccurrencePdfInput, images: ImageSource, o: PdfOptions): Promise<Buffer> {
  const { view } = input;
  const pdf = new ReportPdf(o, `${view.name} ${view.date}`);
  await pdf.load(images, imageRefs(input));
  title(pdf, input);
  for (const [key, label, color] of SECTIONS) {
    const rows = view[key];
    if (rows.length === 0) continue;
    pdf.heading(`${label} (${rows.length})`, 13, color);
    for (const p of rows) personRow(pdf, p, input.timeZone);
  }
  corrections(pdf, input);
  unknownFaces(pdf, view.unknown, input.timeZone);
  if (input.exam) examSection(pdf, input.exam, input.timeZone);
  return pdf.end();
}

function imageRefs(input: OccurrencePdfInput): { bucket: ImageBucket; key: string | null }[] {
  const people = SECTIONS.flatMap(([key]) => input.view[key]);
  return [
    ...people.flatMap((p) => [
      { bucket: "photos" as const, key: p.photoKey },
      { bucket: "crops" as const, key: p.cropKey },
    ]),
    ...input.view.unknown.slice(0, MAX_UNKNOWN_FACES).map((u) => ({ bucket: "crops" as const, key: u.cropKey })),
    ...(input.exam?.candidates ?? []).flatMap((c) => [
      { bucket: "photos" as const, key: c.photoKey },
      ...c.evidence.map((e) => ({ bucket: "crops" as const, key: e.cropKey })),
    ]),
  ];
}

const hhmm = (iso: string, timeZone: string) => localTime(iso, timeZone).slice(0, 5);

function title(pdf: ReportPdf, input: OccurrencePdfInput): void {
  const { view: v, timeZone } = input;
  const { doc } = pdf;
  doc.font("bold").fontSize(18).text(pdf.t(v.name), { width: pdf.width });
  doc.font("body").fontSize(11).fillColor(COLORS.text);
  doc.text(
    pdf.t(
      `${v.kind} on ${v.date}, ${hhmm(v.startAt, timeZone)}–${hhmm(v.endAt, timeZone)} (${timeZone}), ` +
        `late after ${hhmm(v.lateAfter, timeZone)} (grace ${input.graceMinutes} min), cameras ${input.cameras.join(", ")}`,
    ),
    { width: pdf.width },
  );
  doc
    .fontSize(8)
    .fillColor(COLORS.muted)
    .text(
      pdf.t(
        `Session ${v.sessionId} · ${v.phase} · as of ${localTime(v.at, timeZone, true)} ${timeZone} · occurrence ${v.occurrenceId}`,
      ),
      { width: pdf.width },
    );
  const c = v.counts;
  doc.moveDown(0.5).fontSize(10).fillColor(COLORS.text);
  doc.text(
    `Expected ${c.expected} · present ${c.present} · late ${c.late} · absent ${c.absent} · not yet seen ${c.notYetSeen} · ` +
      `excused ${c.excused} · unexpected ${c.unexpected} · probable only ${c.probableOnly} · unknown faces ${c.unknown}`,
    { width: pdf.width },
  );
}

function personRow(pdf: ReportPdf, p: Person, timeZone: string): void {
  const height = PHOTO + 14;
  pdf.ensure(height);
  const y = pdf.doc.y;
  const x = pdf.left;
  pdf.image("photos", p.photoKey, x, y, PHOTO, "enrolled", "no photo");
  pdf.image("crops", p.cropKey, x + PHOTO + 6, y, PHOTO, "best capture", "no capture");
  const tx = x + 2 * PHOTO + 18;
  const tw = pdf.width - (tx - x);
  pdf.line(p.name ?? p.personId, tx, y, tw, { size: 11, bold: true });
  pdf.line(`${p.personId} · ${p.status}${p.onRoster ? "" : " · not on the roster"}`, tx, y + 15, tw, { color: COLORS.muted });
  const seen =
    p.firstSeenAt === null
      ? "not seen"
      : `first seen ${localTime(p.firstSeenAt, timeZone)} · score ${score(p.score)} · camera ${p.cameraId ?? "—"} · ` +
        `track ${p.trackId ?? "—"} · ${p.tracks} track${p.tracks === 1 ? "" : "s"}${p.probableOnly ? " · probable only" : ""}`;
  pdf.line(seen, tx, y + 27, tw);
  if (p.manual) {
    const what = p.manual.action === "mark-present" ? "marked present" : "excused";
    pdf.line(`${what} by ${p.manual.by} at ${localTime(p.manual.at, timeZone)}`, tx, y + 39, tw, { color: COLORS.info });
  }
  pdf.doc.x = x;
  pdf.doc.y = y + height;
}

function corrections(pdf: ReportPdf, input: OccurrencePdfInput): void {
  const list = input.view.corrections;
  if (list.length === 0) return;
  pdf.heading(`Manual corrections (${list.length})`);
  const names = new Map(SECTIONS.flatMap(([key]) => input.view[key]).map((p) => [p.personId, p.name ?? p.personId]));
  for (const c of list) {
    pdf.ensure(14);
    const y = pdf.doc.y;
    const who = names.get(c.personId) ?? c.personId;
    const track = c.trackId === null ? "" : ` (track ${c.trackId})`;
    const reason = c.reason ? `: ${c.reason}` : "";
    pdf.line(`${localTime(c.at, input.timeZone)}  ${c.action} ${who}${track} by ${c.by}${reason}`, pdf.left, y, pdf.width);
    pdf.doc.y = y + 13;
  }
}

function unknownFaces(pdf: ReportPdf, list: z.infer<typeof SessionUnknownTrack>[], timeZone: string): void {
  if (list.length === 0) return;
  pdf.heading(`Unknown faces (${list.length})`);
  const perRow = Math.floor(pdf.width / (UNKNOWN_CELL + 8));
  const drawn = list.slice(0, MAX_UNKNOWN_FACES);
  for (let i = 0; i < drawn.length; i += perRow) {
    pdf.ensure(UNKNOWN_CELL + 24);
    const y = pdf.doc.y;
    drawn.slice(i, i + perRow).forEach((u, j) => {
      const x = pdf.left + j * (UNKNOWN_CELL + 8);
      pdf.image("crops", u.cropKey, x, y, UNKNOWN_CELL, `${localTime(u.firstSeenAt, timeZone)} ${u.cameraId}`, "no crop");
      pdf.line(`track ${u.trackId}`, x, y + UNKNOWN_CELL + 8, UNKNOWN_CELL, { size: 6, color: COLORS.muted });
    });
    pdf.doc.x = pdf.left;
    pdf.doc.y = y + UNKNOWN_CELL + 20;
  }
  if (list.length > drawn.length) pdf.line(`… and ${list.length - drawn.length} more`, pdf.left, pdf.doc.y, pdf.width);
}

function examSection(pdf: ReportPdf, exam: Exam, timeZone: string): void {
  pdf.doc.addPage();
  pdf.heading("Identity report", 15);
  const s = exam.summary;
  pdf.doc
    .fontSize(10)
    .text(
      `Expected ${s.expected} · seen ${s.seen} · verified ${s.verified} · flagged ${s.flagged} · pending ${s.pending} · ` +
        `absent ${s.absent} · not on the roster ${s.notOnRoster} · unknown tracks ${exam.unknownTracks}`,
      { width: pdf.width },
    );
  pdf.doc.moveDown(0.5);
  for (const c of exam.candidates) candidateRow(pdf, c, timeZone);
  if (exam.alerts.length === 0) return;
  pdf.heading(`Alerts (${exam.alerts.length})`, 13, COLORS.bad);
  for (const a of exam.alerts) {
    pdf.ensure(14);
    const y = pdf.doc.y;
    const who =
      a.personId === null ? "an unknown face" : (exam.candidates.find((c) => c.personId === a.personId)?.name ?? a.personId);
    pdf.line(
      `${localTime(a.at, timeZone)}  ${a.kind}: ${who} at camera ${a.cameraId} (track ${a.trackId}, score ${score(a.score)})`,
      pdf.left,
      y,
      pdf.width,
    );
    pdf.doc.y = y + 13;
  }
}

function candidateRow(pdf: ReportPdf, c: Exam["candidates"][number], timeZone: string): void {
  const lines = Math.max(1, c.evidence.length) + c.elsewhere.length;
  const height = Math.max(PHOTO + 14, 30 + lines * 12);
  pdf.ensure(Math.min(height, 300));
  const y = pdf.doc.y;
  const x = pdf.left;
  pdf.image("photos", c.photoKey, x, y, PHOTO, "enrolled", "no photo");
  pdf.image("crops", c.evidence[0]?.cropKey ?? null, x + PHOTO + 6, y, PHOTO, "capture", "no capture");
  const tx = x + 2 * PHOTO + 18;
  const tw = pdf.width - (tx - x);
  const verdict = c.flagged ? "FLAGGED" : c.verified ? "verified" : c.evidence.length === 0 ? "not seen" : "pending";
  const color = c.flagged ? COLORS.bad : c.verified ? COLORS.good : COLORS.muted;
  pdf.line(`${c.name ?? c.personId} — ${verdict}`, tx, y, tw, { size: 11, bold: true, color });
  pdf.line(`${c.personId} · ${c.status}${c.onRoster ? "" : " · NOT ON THE ROSTER"}`, tx, y + 15, tw, { color: COLORS.muted });
  let ly = y + 27;
  for (const e of c.evidence) {
    if (ly + 12 > pdf.bottom) break;
    const by = e.verdictBy ? ` by ${e.verdictBy}` : "";
    pdf.line(
      `${localTime(e.firstSeenAt, timeZone)} camera ${e.cameraId} track ${e.trackId} score ${score(e.score)}` +
        `${e.confirmed ? "" : " (probable)"} · ${e.verdict}${by}`,
      tx,
      ly,
      tw,
    );
    ly += 12;
  }
  for (const e of c.elsewhere) {
    if (ly + 12 > pdf.bottom) break;
    pdf.line(`also seen at ${localTime(e.at, timeZone)} in ${e.occurrenceId} (camera ${e.cameraId})`, tx, ly, tw, {
      color: COLORS.bad,
    });
    ly += 12;
  }
  pdf.doc.x = x;
  pdf.doc.y = Math.max(y + PHOTO + 14, ly + 4);
}
