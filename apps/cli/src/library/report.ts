import type { GroupJoin } from "./groups.ts";
import type { TakenFace } from "@persona/library";
import type { FolderScan, LocalFile, Reason } from "./folder.ts";
import type { PlanItem, SkippedPhoto } from "./plan.ts";

/**
 * The import report: one entry per folder, stable keys (absent values are null, never missing), sorted by folder
 * name. `persona import --json` prints it; README "JSON output" documents it.
 */

export type PersonStatus = "imported" | "updated" | "unchanged" | "rejected" | "failed";

export type PhotoOutcome =
  /** A face template was made from it. */
  | "added"
  /** One of the person's templates already came from this photo: not sent again. */
  | "already-enrolled"
  /** The recognizer rejected it now. */
  | "rejected"
  /** The recognizer rejected it in an earlier import: not sent again (--retry-rejected sends it). */
  | "previously-rejected"
  /** --dry-run: it would be sent. */
  | "planned"
  /** Not decided: the request failed (timeout, upload error). */
  | "failed";

export interface PhotoReport {
  file: string;
  sha256: string;
  outcome: PhotoOutcome;
  templateId: string | null;
  reason: Reason | null;
  /** For "added": which face of the photo was taken (its box, the photo's face count, why this one). */
  face: TakenFace | null;
}

export interface PersonReport {
  folder: string;
  path: string;
  status: PersonStatus;
  personId: string | null;
  name: string | null;
  description: string | null;
  /** For "updated": what changed, among "name", "description", "sound", "photos". */
  changes: string[];
  photos: PhotoReport[];
  sound: { file: string; sha256: string } | null;
  /** Why the folder was rejected or failed. */
  reason: Reason | null;
  warnings: string[];
  /** How data.txt was decoded. */
  encoding: string | null;
  /** The groups of the folder's `groups` file and what joining them did (a dry run: would do); [] without one. */
  groups: GroupJoin[];
}

export interface ImportReport {
  version: 1;
  dir: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  summary: Record<PersonStatus, number> & {
    total: number;
    photosAdded: number;
    photosRejected: number;
    /** Groups joined (created or existing) and groups that could not be joined, over every person. */
    groupsJoined: number;
    groupsFailed: number;
  };
  people: PersonReport[];
}

export function skippedPhoto(s: SkippedPhoto): PhotoReport {
  return {
    file: s.file.fileName,
    sha256: s.file.sha256,
    outcome: s.why === "duplicate-of" ? "rejected" : s.why,
    templateId: null,
    reason: s.reason,
    face: null,
  };
}

export function photoOf(
  file: LocalFile,
  outcome: PhotoOutcome,
  rest: Partial<Pick<PhotoReport, "templateId" | "reason" | "face">> = {},
): PhotoReport {
  return {
    file: file.fileName,
    sha256: file.sha256,
    outcome,
    templateId: rest.templateId ?? null,
    reason: rest.reason ?? null,
    face: rest.face ?? null,
  };
}

/** The report entry of a plan item before anything is sent (also what --dry-run prints). */
export function plannedReport(item: PlanItem): PersonReport {
  const scan: FolderScan = item.scan;
  const base: PersonReport = {
    folder: scan.folder,
    path: scan.path,
    status: "unchanged",
    personId: null,
    name: null,
    description: null,
    changes: [],
    photos: [],
    sound: null,
    reason: null,
    warnings: [...scan.warnings],
    encoding: null,
    groups: [],
  };
  if (item.kind === "reject") return { ...base, status: "rejected", reason: item.scan.reason };
  const s = item.scan;
  const filled: PersonReport = {
    ...base,
    name: s.name,
    description: s.description,
    sound: s.sound === null ? null : { file: s.sound.fileName, sha256: s.sound.sha256 },
    encoding: s.encoding,
  };
  switch (item.kind) {
    case "enroll":
      return {
        ...filled,
        status: "imported",
        personId: item.personId,
        photos: orderLike(s.photos, [...item.photos.map((f) => photoOf(f, "planned")), ...item.skipped.map(skippedPhoto)]),
      };
    case "reject-again":
      return {
        ...filled,
        status: "rejected",
        personId: item.personId,
        photos: orderLike(s.photos, item.skipped.map(skippedPhoto)),
        reason: item.skipped.every((k) => k.why === "duplicate-of")
          ? {
              code: "duplicate-of",
              message: `every photo is another person's: ${item.skipped[0]?.reason?.message ?? "?"}`,
            }
          : {
              code: "photos-rejected",
              message: "every photo was rejected by the recognizer in an earlier import (--retry-rejected sends them again)",
            },
      };
    case "update":
      return {
        ...filled,
        status: "updated",
        personId: item.person.personId,
        changes: [...item.changes, ...(item.newPhotos.length > 0 ? ["photos"] : [])],
        photos: orderLike(s.photos, [...item.newPhotos.map((f) => photoOf(f, "planned")), ...item.skipped.map(skippedPhoto)]),
      };
    case "unchanged":
      return {
        ...filled,
        status: "unchanged",
        personId: item.person.personId,
        photos: orderLike(s.photos, item.skipped.map(skippedPhoto)),
      };
    default: {
      const never: never = item;
      throw new Error(`unhandled plan item ${JSON.stringify(never)}`);
    }
  }
}

/** Photo reports in the folder's photo order (the data.txt photo first). */
function orderLike(files: LocalFile[], reports: PhotoReport[]): PhotoReport[] {
  const index = new Map(files.map((f, i) => [f.sha256, i]));
  return [...reports].sort((a, b) => (index.get(a.sha256) ?? 0) - (index.get(b.sha256) ?? 0));
}

export function summarize(people: PersonReport[]): ImportReport["summary"] {
  const summary: ImportReport["summary"] = {
    total: people.length,
    imported: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    failed: 0,
    photosAdded: 0,
    photosRejected: 0,
    groupsJoined: 0,
    groupsFailed: 0,
  };
  for (const p of people) {
    summary[p.status]++;
    for (const g of p.groups) {
      if (g.outcome === "created" || g.outcome === "joined") summary.groupsJoined++;
      if (g.outcome === "failed") summary.groupsFailed++;
    }
    for (const ph of p.photos) {
      if (ph.outcome === "added") summary.photosAdded++;
      if (ph.outcome === "rejected" || ph.outcome === "previously-rejected") summary.photosRejected++;
    }
  }
  return summary;
}

/** 0 when nothing was rejected (no folder, no photo) and nothing failed (a group join neither); 1 otherwise. */
export function importExitCode(report: ImportReport): number {
  const s = report.summary;
  return s.rejected + s.failed + s.photosRejected + s.groupsFailed === 0 ? 0 : 1;
}

/** The human-readable report (stdout without --json). */
export function renderImportReport(report: ImportReport): string {
  const lines: string[] = [];
  const verb = report.dryRun ? "would be " : "";
  for (const p of report.people) {
    const who = p.name === null ? p.folder : `${p.name} (${p.folder})`;
    const detail =
      p.status === "rejected" || p.status === "failed"
        ? `: ${p.reason?.message ?? "?"}`
        : p.status === "updated"
          ? `: ${p.changes.join(", ")}`
          : "";
    lines.push(`${p.status === "unchanged" ? "unchanged" : `${verb}${p.status}`.padEnd(9)} ${who}${detail}`);
    for (const ph of p.photos) {
      if (ph.outcome === "rejected" || ph.outcome === "previously-rejected" || ph.outcome === "failed")
        lines.push(`    photo ${ph.file}: ${ph.outcome}${ph.reason ? ` (${ph.reason.code}: ${ph.reason.message})` : ""}`);
      else if (ph.outcome === "added" && ph.face && ph.face.faces > 1)
        lines.push(`    photo ${ph.file}: ${describeTakenFace(ph.face)}`);
    }
    if (p.groups.length > 0) {
      const what = (g: GroupJoin) =>
        g.outcome === "failed"
          ? `${g.name} (failed: ${g.reason ?? "?"})`
          : `${g.name} (${report.dryRun ? `would be ${g.outcome}` : g.outcome})`;
      lines.push(`    groups: ${p.groups.map(what).join(", ")}`);
    }
    for (const w of p.warnings) lines.push(`    warning: ${w}`);
  }
  const s = report.summary;
  lines.push(
    `${report.dryRun ? "dry run: " : ""}${s.total} folder(s): ${s.imported} imported, ${s.updated} updated, ${s.unchanged} unchanged, ` +
      `${s.rejected} rejected, ${s.failed} failed; ${s.photosAdded} photo(s) added, ${s.photosRejected} rejected` +
      (s.groupsJoined + s.groupsFailed > 0 ? `; ${s.groupsJoined} group(s) joined, ${s.groupsFailed} failed` : ""),
  );
  return `${lines.join("\n")}\n`;
}

/** "took the largest of 3 faces (at 120,80, 200x240 px)": which face of a photo with several was enrolled. */
export function describeTakenFace(f: TakenFace): string {
  const which =
    f.why === "only-passing" ? "the only face good enough" : f.why === "centred" ? "the face at the centre" : "the largest";
  const b = f.box;
  return `took ${which} of ${f.faces} faces (at ${b.x},${b.y}, ${b.width}x${b.height} px)`;
}
