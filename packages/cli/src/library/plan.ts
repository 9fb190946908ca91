import { type LibraryState, type PersonState, personIdFromImportKey } from "@persona/library";
import type { AcceptedScan, FolderScan, LocalFile, Reason, RejectedScan } from "./folder.ts";

/**
 * Import planning, pure: what to do with each scanned folder given the current library (replayed from the LIBRARY
 * stream). Importing the same folder twice plans nothing the second time.
 */

/** Photos the recognizer rejected before, per person id and photo sha256 (see `rejectedPhotosOf`). */
export type RejectedPhotos = ReadonlyMap<string, ReadonlyMap<string, Reason>>;

export interface SkippedPhoto {
  file: LocalFile;
  why: "already-enrolled" | "previously-rejected";
  /** For a previously rejected photo: the recognizer's reason then. */
  reason: Reason | null;
}

export type PersonChange = "name" | "description" | "sound";

export type PlanItem =
  | { kind: "reject"; scan: RejectedScan }
  /** A new person: EnrollPerson (existing: false) with `photos`. */
  | { kind: "enroll"; scan: AcceptedScan; personId: string; photos: LocalFile[]; skipped: SkippedPhoto[] }
  /** A new person whose every photo was rejected before: nothing to send (unless retrying rejected photos). */
  | { kind: "reject-again"; scan: AcceptedScan; personId: string; skipped: SkippedPhoto[] }
  /**
   * A person already in the library: a PersonUpdated with `changes` (when any), then EnrollPerson (existing: true)
   * with `newPhotos` (when any).
   */
  | {
      kind: "update";
      scan: AcceptedScan;
      person: PersonState;
      changes: PersonChange[];
      newPhotos: LocalFile[];
      skipped: SkippedPhoto[];
    }
  | { kind: "unchanged"; scan: AcceptedScan; person: PersonState; skipped: SkippedPhoto[] };

export interface PlanOptions {
  /** Send photos the recognizer rejected before once more. Default false. */
  retryRejected?: boolean;
}

export function planImport(
  scans: readonly FolderScan[],
  library: LibraryState,
  rejected: RejectedPhotos = new Map(),
  options: PlanOptions = {},
): PlanItem[] {
  return scans.map((scan) => planOne(scan, library, rejected, options));
}

function planOne(scan: FolderScan, library: LibraryState, rejected: RejectedPhotos, options: PlanOptions): PlanItem {
  if (!scan.ok) return { kind: "reject", scan };
  const personId = library.byImportKey.get(scan.importKey) ?? personIdFromImportKey(scan.importKey);
  const person = library.people.get(personId);
  const enrolledShas = new Set<string>();
  for (const t of person?.templates.values() ?? []) if (t.photoSha256 !== null) enrolledShas.add(t.photoSha256);
  const rejectedBefore = rejected.get(personId);

  const send: LocalFile[] = [];
  const skipped: SkippedPhoto[] = [];
  for (const file of scan.photos) {
    if (enrolledShas.has(file.sha256)) {
      skipped.push({ file, why: "already-enrolled", reason: null });
      continue;
    }
    const before = rejectedBefore?.get(file.sha256);
    if (before !== undefined && options.retryRejected !== true) {
      skipped.push({ file, why: "previously-rejected", reason: before });
      continue;
    }
    send.push(file);
  }

  if (person === undefined) {
    return send.length > 0
      ? { kind: "enroll", scan, personId, photos: send, skipped }
      : { kind: "reject-again", scan, personId, skipped };
  }
  const changes: PersonChange[] = [];
  if (person.name !== scan.name) changes.push("name");
  if (person.description !== scan.description) changes.push("description");
  if ((person.sound?.sha256 ?? null) !== (scan.sound?.sha256 ?? null)) changes.push("sound");
  if (changes.length === 0 && send.length === 0) return { kind: "unchanged", scan, person, skipped };
  return { kind: "update", scan, person, changes, newPhotos: send, skipped };
}
