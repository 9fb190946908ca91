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
  /** "duplicate-of": the same photo is another person's (in the library, or an earlier folder of this import). */
  why: "already-enrolled" | "previously-rejected" | "duplicate-of";
  /** For a previously rejected photo: the recognizer's reason then; for a duplicate: whose it is. */
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
  /** Send a photo that is another person's too (the recognizer is told to allow it). Default false. */
  allowDuplicate?: boolean;
}

/** Whose each photo (by sha256) is: a library person's template, or an earlier folder of this import. */
type PhotoOwners = Map<string, { personId: string; label: string }>;

export function planImport(
  scans: readonly FolderScan[],
  library: LibraryState,
  rejected: RejectedPhotos = new Map(),
  options: PlanOptions = {},
): PlanItem[] {
  const owners: PhotoOwners = new Map();
  for (const p of library.people.values()) {
    for (const t of p.templates.values()) {
      if (t.photoSha256 !== null) owners.set(t.photoSha256, { personId: p.personId, label: `${p.personId} (${p.name})` });
    }
  }
  return scans.map((scan) => planOne(scan, library, rejected, options, owners));
}

function planOne(
  scan: FolderScan,
  library: LibraryState,
  rejected: RejectedPhotos,
  options: PlanOptions,
  owners: PhotoOwners,
): PlanItem {
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
    const owner = owners.get(file.sha256);
    if (owner !== undefined && owner.personId !== personId && options.allowDuplicate !== true) {
      const message = `duplicate-of ${owner.label}: the same photo; import with --allow-duplicate to enroll it anyway`;
      skipped.push({ file, why: "duplicate-of", reason: { code: "duplicate-of", message } });
      continue;
    }
    if (owner === undefined) owners.set(file.sha256, { personId, label: `folder ${scan.folder}` });
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
