import type { BlobRef } from "@persona/contracts";
import type { LibraryState, PersonState } from "@persona/library";
import { CliError } from "../errors.ts";

/** Finding people by id or name, and what `persona people` prints. Pure. */

export class PersonLookupError extends CliError {
  override name = "PersonLookupError";
  constructor(
    message: string,
    readonly matches: PersonState[],
  ) {
    super(message, 1);
  }
}

const fold = (s: string) => s.normalize("NFKC").toLocaleLowerCase("und").replace(/\s+/g, " ").trim();

/**
 * ID or NAME: an exact person id first; then the exact name; then the name ignoring case, spaces and Unicode
 * compatibility forms ("анна  каренина" finds "Анна Каренина"). Several people with that name: an error listing
 * them (use the id). Nobody: an error naming the people whose names contain the text, if any.
 */
export function findPerson(state: LibraryState, query: string): PersonState {
  const byId = state.people.get(query);
  if (byId !== undefined) return byId;
  const people = [...state.people.values()];
  const exact = people.filter((p) => p.name === query.trim());
  const matches = exact.length > 0 ? exact : people.filter((p) => fold(p.name) === fold(query));
  if (matches.length === 1) return matches[0] as PersonState;
  if (matches.length > 1) {
    throw new PersonLookupError(
      `${matches.length} people are named "${query}"; use the id:\n${matches.map((p) => `  ${p.personId}  ${p.name}  ${p.description}`).join("\n")}`,
      sortPeople(matches),
    );
  }
  const near = people.filter((p) => fold(p.name).includes(fold(query)));
  throw new PersonLookupError(
    near.length > 0
      ? `nobody is named "${query}"; did you mean:\n${sortPeople(near)
          .slice(0, 10)
          .map((p) => `  ${p.personId}  ${p.name}`)
          .join("\n")}`
      : `no person with id or name "${query}"`,
    sortPeople(near),
  );
}

export function sortPeople(people: PersonState[]): PersonState[] {
  return [...people].sort((a, b) => {
    const x = fold(a.name);
    const y = fold(b.name);
    return x < y ? -1 : x > y ? 1 : a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0;
  });
}

/** One row of `persona people list --json`. */
export interface PersonRow {
  id: string;
  name: string;
  description: string;
  templates: number;
  photos: number;
  sound: boolean;
  watchlist: { reason: string } | null;
  source: string;
  importKey: string | null;
  enrolledAt: string;
  updatedAt: string;
}

export function personRow(p: PersonState): PersonRow {
  return {
    id: p.personId,
    name: p.name,
    description: p.description,
    templates: p.templates.size,
    photos: p.photos.length,
    sound: p.sound !== null,
    watchlist: p.watchlist,
    source: p.source,
    importKey: p.importKey,
    enrolledAt: p.enrolledAt,
    updatedAt: p.updatedAt,
  };
}

export interface TemplateView {
  templateId: string;
  addedAt: string;
  model: string;
  quality: number;
  origin:
    | { kind: "enrollment"; photo: string; sha256: string }
    | { kind: "self-learning"; cameraId: string; trackId: string; similarity: number; seenAt: string }
    | { kind: "operator"; by: string; sightingId: string | null };
}

/** `persona people show --json`. */
export interface PersonDetail extends Omit<PersonRow, "photos" | "sound"> {
  photos: BlobRef[];
  sound: BlobRef | null;
  templateList: TemplateView[];
}

export function personDetail(p: PersonState): PersonDetail {
  const { photos: _n, sound: _s, ...row } = personRow(p);
  const templateList = [...p.templates.values()]
    .sort((a, b) => (a.addedAt < b.addedAt ? -1 : a.addedAt > b.addedAt ? 1 : a.templateId < b.templateId ? -1 : 1))
    .map((t): TemplateView => {
      const o = t.origin;
      const origin: TemplateView["origin"] =
        o.kind === "enrollment"
          ? { kind: "enrollment", photo: o.photo.key, sha256: o.photo.sha256 }
          : o.kind === "self-learning"
            ? { kind: "self-learning", cameraId: o.cameraId, trackId: o.trackId, similarity: o.similarity, seenAt: o.seenAt }
            : { kind: "operator", by: o.by, sightingId: o.sightingId ?? null };
      return { templateId: t.templateId, addedAt: t.addedAt, model: t.model, quality: t.quality.score, origin };
    });
  return { ...row, photos: p.photos, sound: p.sound, templateList };
}

/** Pads by display width in code points (good enough for Latin and Cyrillic; CJK is wider). */
export function pad(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? s : s + " ".repeat(width - n);
}

export function clip(s: string, width: number): string {
  const cps = [...s];
  return cps.length <= width ? s : `${cps.slice(0, width - 1).join("")}…`;
}
