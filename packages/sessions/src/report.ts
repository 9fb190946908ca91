import { counts } from "@persona/contracts";
import { z } from "zod";
import type { AttendanceView, PersonRow } from "./attendance.ts";

/**
 * Reports over attendance views: one occurrence as CSV, each person's attendance rate across a series, a group over a
 * period. CSV per RFC 4180 (CRLF, fields quoted when they hold a separator, a quote or a line break), with text
 * cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) prefixed by '.
 */

export const DEFAULT_RATE_THRESHOLD = 0.75;

/** One CSV field: numbers as they are, text guarded against formula injection and quoted when needed. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",;\r\n]|^\s|\s$/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export const csvLine = (cells: (string | number | boolean | null)[]) => cells.map(csvCell).join(",");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const OCCURRENCE_CSV_HEADER = [
  "person_id",
  "name",
  "status",
  "on_roster",
  "first_seen",
  "best_score",
  "track_id",
  "camera_id",
  "probable_only",
  "corrected_by",
];

/**
 * One occurrence as CSV: a row per person (present, late, absent or not yet seen, excused, then unexpected, then
 * people seen only as probable and not on the roster), then a row per unknown track (status "unknown").
 */
export function occurrenceCsv(view: AttendanceView, names: ReadonlyMap<string, string>): string {
  const row = (r: PersonRow, status: string) => [
    r.personId,
    names.get(r.personId) ?? "",
    status,
    r.onRoster ? "yes" : "no",
    iso(r.firstSeenAt),
    r.bestScore === null ? null : Number(r.bestScore.toFixed(4)),
    r.bestTrackId,
    r.cameraId,
    r.probableOnly ? "yes" : "no",
    r.manual ? `${r.manual.action} by ${r.manual.by}` : null,
  ];
  const rows = [
    ...[...view.present, ...view.late, ...view.absent, ...view.notYetSeen, ...view.excused].map((r) => row(r, r.status)),
    ...view.unexpected.map((r) => row(r, "unexpected")),
    ...view.probableOnly.filter((r) => !r.onRoster).map((r) => row(r, "probable")),
    ...view.unknownTracks.tracks.map((u) => [
      "",
      "",
      "unknown",
      "no",
      iso(u.firstAt),
      Number(u.bestScore.toFixed(4)),
      u.trackId,
      u.cameraId,
      "no",
      null,
    ]),
  ];
  return [OCCURRENCE_CSV_HEADER.join(","), ...rows.map(csvLine)].map((l) => `${l}\r\n`).join("");
}

/**
 * One person's attendance rate over ended occurrences that expected them: `attended` counts present or late (or
 * marked present); `rate` is attended / (expected - excused), null when every occurrence was excused; `below` the
 * threshold (75% by default). The portal answers it with their name (services/portal/src/http/schemas.ts).
 */
export const PersonRate = z.object({
  personId: z.string(),
  ...counts("expected", "attended", "late", "absent", "excused").shape,
  rate: z.number().nullable(),
  below: z.boolean(),
});
export type PersonRate = z.infer<typeof PersonRate>;

/**
 * Attendance rates across occurrences (a course's series): only ended occurrences count; an excused occurrence is
 * left out of the denominator; late counts as attended. Below the threshold (default 75%) is flagged.
 */
export function attendanceRates(
  views: readonly AttendanceView[],
  options: { threshold?: number; people?: readonly string[] } = {},
): PersonRate[] {
  const threshold = options.threshold ?? DEFAULT_RATE_THRESHOLD;
  const only = options.people ? new Set(options.people) : null;
  const rates = new Map<string, PersonRate>();
  const add = (rows: PersonRow[], field: "attended" | "absent" | "excused", late = false) => {
    for (const r of rows) {
      if (only && !only.has(r.personId)) continue;
      let p = rates.get(r.personId);
      if (!p) {
        p = { personId: r.personId, expected: 0, attended: 0, late: 0, absent: 0, excused: 0, rate: null, below: false };
        rates.set(r.personId, p);
      }
      p.expected++;
      p[field]++;
      if (late) p.late++;
    }
  };
  for (const v of views) {
    if (v.phase !== "ended") continue;
    add(v.present, "attended");
    add(v.late, "attended", true);
    add(v.absent, "absent");
    add(v.excused, "excused");
  }
  for (const p of rates.values()) {
    const denominator = p.expected - p.excused;
    p.rate = denominator === 0 ? null : p.attended / denominator;
    p.below = p.rate !== null && p.rate < threshold;
  }
  return [...rates.values()].sort((a, b) => a.personId.localeCompare(b.personId));
}

export interface GroupReport {
  groupId: string;
  from: string;
  to: string;
  occurrences: number;
  members: PersonRate[];
  /** Mean of the members' rates (members with a rate). */
  meanRate: number | null;
  below: string[];
}

/** A group over a period (local dates, inclusive): its members' rates over the ended occurrences that expected them. */
export function groupReport(
  views: readonly AttendanceView[],
  group: { groupId: string; members: Iterable<string> },
  period: { from: string; to: string },
  threshold = DEFAULT_RATE_THRESHOLD,
): GroupReport {
  const members = [...group.members];
  const memberSet = new Set(members);
  const inPeriod = views.filter(
    (v) => v.date >= period.from && v.date <= period.to && v.phase === "ended" && v.expected.some((p) => memberSet.has(p)),
  );
  const rates = attendanceRates(inPeriod, { threshold, people: members });
  const withRate = rates.filter((r) => r.rate !== null);
  return {
    groupId: group.groupId,
    ...period,
    occurrences: inPeriod.length,
    members: rates,
    meanRate: withRate.length === 0 ? null : withRate.reduce((s, r) => s + (r.rate ?? 0), 0) / withRate.length,
    below: rates.filter((r) => r.below).map((r) => r.personId),
  };
}

/** Rates as CSV (person_id, name, expected, attended, late, absent, excused, rate, below). */
export function ratesCsv(rates: readonly PersonRate[], names: ReadonlyMap<string, string>): string {
  const head = "person_id,name,expected,attended,late,absent,excused,rate,below";
  const rows = rates.map((r) =>
    csvLine([
      r.personId,
      names.get(r.personId) ?? "",
      r.expected,
      r.attended,
      r.late,
      r.absent,
      r.excused,
      r.rate === null ? null : Number(r.rate.toFixed(4)),
      r.below ? "yes" : "no",
    ]),
  );
  return [head, ...rows].map((l) => `${l}\r\n`).join("");
}
