import { writeFile } from "node:fs/promises";
import type { Bus } from "@persona/bus";
import { LocalDate } from "@persona/contracts";
import {
  type ImageSource,
  MediaStore,
  ReportError,
  findPdfFonts,
  groupRates,
  occurrenceReportCsv,
  occurrenceReportPdf,
  occurrenceViewOf,
  ratesReportCsv,
  ratesReportPdf,
  replaySessionsFold,
  sessionRates,
} from "@persona/service-portal";
import { occurrenceIdOf } from "@persona/sessions";
import { connectCli } from "../client/connect.ts";
import { CliError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";

export interface ReportArgs {
  session?: string | undefined;
  group?: string | undefined;
  date?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  threshold?: string | undefined;
  /** Write a printable PDF (with the photos for an occurrence, a bar chart for rates) to this file. */
  pdf?: string | undefined;
  json: boolean;
  env?: NodeJS.ProcessEnv;
  /** The instant the report is for (epoch ms; default now). */
  now?: number;
}

const date = (name: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (!LocalDate.safeParse(value).success)
    throw new UsageError(`--${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
};

function check(args: ReportArgs): { threshold: number } {
  if ((args.session === undefined) === (args.group === undefined)) {
    throw new UsageError("usage: persona report --session ID [--date D | --from D --to D] | --group ID --from D --to D [--json]");
  }
  for (const k of ["date", "from", "to"] as const) date(k, args[k]);
  if (args.group !== undefined && args.date !== undefined)
    throw new UsageError("--date is for --session (a group reports a period)");
  if (args.date === undefined && (args.from === undefined || args.to === undefined)) {
    throw new UsageError(
      args.group !== undefined ? "--group needs --from and --to" : "--session needs --date, or --from and --to",
    );
  }
  if (args.pdf !== undefined && args.pdf.trim() === "") throw new UsageError("--pdf needs a file name");
  const threshold = args.threshold === undefined ? 0.75 : Number(args.threshold);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new UsageError(`--threshold must be a number from 0 to 1, got ${JSON.stringify(args.threshold)}`);
  }
  return { threshold };
}

/**
 * `persona report`: the sessions' reports from the streams (replayed through the portal's sessions fold, read only):
 * one occurrence (`--session ID --date D`), a session's series (`--session ID --from D --to D`) or a group over a
 * period (`--group ID --from D --to D`); CSV on stdout, or JSON with `--json`; `--pdf FILE` writes the printable
 * report instead (stdout says where).
 */
export async function reportCommand(args: ReportArgs, out: Output = stdio()): Promise<number> {
  const { threshold } = check(args);
  const bus = await connectCli({ env: args.env ?? process.env });
  try {
    if (args.pdf !== undefined) return await writePdf(bus, args, args.pdf, threshold, out);
    const fold = await replaySessionsFold(bus);
    const now = args.now ?? Date.now();
    const text = build(fold, args, threshold, now);
    out.stdout(text.endsWith("\n") ? text : `${text}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ReportError) throw new CliError(err.message);
    throw err;
  } finally {
    await bus.close();
  }
}

function build(fold: Awaited<ReturnType<typeof replaySessionsFold>>, args: ReportArgs, threshold: number, now: number): string {
  const json = (doc: object) => JSON.stringify({ version: 1, ...doc }, null, 2);
  if (args.session !== undefined && args.date !== undefined) {
    if (!args.json) return occurrenceReportCsv(fold, args.session, args.date, now);
    occurrenceReportCsv(fold, args.session, args.date, now); // the same checks (unknown session, no occurrence)
    const state = fold.projection.occurrences[occurrenceIdOf(args.session, args.date)];
    if (state === undefined)
      throw new ReportError("not-found", `nothing was recorded for ${occurrenceIdOf(args.session, args.date)}`);
    return json({ occurrence: occurrenceViewOf(fold, state, now) });
  }
  const period = { from: args.from as string, to: args.to as string };
  const r =
    args.session !== undefined
      ? sessionRates(fold, args.session, period, now, threshold)
      : groupRates(fold, args.group as string, period, now, threshold);
  return args.json ? json({ rates: r }) : ratesReportCsv(fold, r);
}

/** The printable report to `file`: an occurrence with the photos (read from the media stores), or rates with a chart. */
async function writePdf(bus: Bus, args: ReportArgs, file: string, threshold: number, out: Output): Promise<number> {
  const crops = new Map<string, string>();
  const fold = await replaySessionsFold(bus, { crops });
  const now = args.now ?? Date.now();
  const fonts = findPdfFonts();
  if (fonts.warning !== null) out.stderr(`persona report: warning: ${fonts.warning}\n`);
  const media = new MediaStore(bus, async (id) => crops.get(id));
  const images: ImageSource = async (bucket, key) => (await media.get(bucket, key))?.bytes ?? null;
  let pdf: Buffer;
  if (args.session !== undefined && args.date !== undefined) {
    pdf = await occurrenceReportPdf(fold, args.session, args.date, now, images, { fonts });
  } else {
    const period = { from: args.from as string, to: args.to as string };
    const r =
      args.session !== undefined
        ? sessionRates(fold, args.session, period, now, threshold)
        : groupRates(fold, args.group as string, period, now, threshold);
    pdf = await ratesReportPdf(fold, r, { fonts });
  }
  try {
    await writeFile(file, pdf);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const summary = { file, bytes: pdf.length, font: fonts.embedded?.path ?? null, warning: fonts.warning };
  out.stdout(args.json ? `${JSON.stringify({ version: 1, pdf: summary }, null, 2)}\n` : `wrote ${file} (${pdf.length} bytes)\n`);
  return 0;
}
