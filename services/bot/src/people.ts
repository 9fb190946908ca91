import type { LibraryState, PersonState } from "@persona/library";

/** Finding people by id or name and the texts of /people and /find. Pure (the same matching as `persona people`). */

const fold = (s: string) => s.normalize("NFKC").toLocaleLowerCase("und").replace(/\s+/g, " ").trim();

export function sortPeople(people: Iterable<PersonState>): PersonState[] {
  return [...people].sort((a, b) => {
    const x = fold(a.name);
    const y = fold(b.name);
    return x < y ? -1 : x > y ? 1 : a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0;
  });
}

export type Lookup =
  | { kind: "one"; person: PersonState }
  | { kind: "several"; people: PersonState[] }
  | { kind: "none"; near: PersonState[] };

/** An exact id; then the exact name; then the name ignoring case, spaces and compatibility forms. */
export function lookupPerson(state: LibraryState, query: string): Lookup {
  const q = query.trim();
  const byId = state.people.get(q);
  if (byId !== undefined) return { kind: "one", person: byId };
  const people = [...state.people.values()];
  const exact = people.filter((p) => p.name === q);
  const matches = exact.length > 0 ? exact : people.filter((p) => fold(p.name) === fold(q));
  if (matches.length === 1) return { kind: "one", person: matches[0] as PersonState };
  if (matches.length > 1) return { kind: "several", people: sortPeople(matches) };
  return { kind: "none", near: searchPeople(state, q) };
}

/** People whose name, id or description contains the text (ignoring case). */
export function searchPeople(state: LibraryState, query: string): PersonState[] {
  const q = fold(query);
  if (q.length === 0) return [];
  return sortPeople(
    [...state.people.values()].filter(
      (p) => fold(p.name).includes(q) || p.personId.toLowerCase() === q || fold(p.description).includes(q),
    ),
  );
}

export function personLine(p: PersonState): string {
  const tpl = `${p.templates.size} template${p.templates.size === 1 ? "" : "s"}`;
  const desc = p.description ? ` — ${p.description}` : "";
  const watch = p.watchlist ? " [watchlist]" : "";
  return `• ${p.name}${desc} (${tpl}, id ${p.personId})${watch}`;
}

export function peopleText(state: LibraryState): string {
  const people = sortPeople(state.people.values());
  if (people.length === 0) return "The library is empty. Send a photo with a name as its caption to enroll someone.";
  return `${people.length} ${people.length === 1 ? "person" : "people"}:\n${people.map(personLine).join("\n")}`;
}

export function personDetailText(p: PersonState): string {
  const bySource = new Map<string, number>();
  for (const t of p.templates.values()) bySource.set(t.origin.kind, (bySource.get(t.origin.kind) ?? 0) + 1);
  const origins = [...bySource].map(([k, n]) => `${n} ${k}`).join(", ") || "none";
  return [
    p.name,
    `id: ${p.personId}`,
    `description: ${p.description || "-"}`,
    `templates: ${p.templates.size} (${origins})`,
    `photos: ${p.photos.length}`,
    `greeting sound: ${p.sound ? "own" : "default"}`,
    `watchlist: ${p.watchlist ? `yes (${p.watchlist.reason})` : "no"}`,
    `source: ${p.source}`,
    `enrolled: ${p.enrolledAt}`,
  ].join("\n");
}

export function severalText(query: string, people: PersonState[]): string {
  return `${people.length} people are named "${query}"; use the id:\n${people.map(personLine).join("\n")}`;
}

export function noneText(query: string, near: PersonState[]): string {
  if (near.length === 0) return `Nobody with the id or name "${query}".`;
  return `Nobody is named "${query}". Did you mean:\n${near.slice(0, 10).map(personLine).join("\n")}`;
}
