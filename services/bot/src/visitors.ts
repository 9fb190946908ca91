import type { LibraryState, PersonState, VisitorState, VisitorsState } from "@persona/library";
import { survivorOf } from "@persona/library";
import { formatTime } from "./alerts.ts";
import { MAX_NAME } from "./parse.ts";

/**
 * Unknown visitors in the chat, pure: finding a visitor by the start of its id, parsing /name_visitor and
 * /ignore_visitor, the texts and buttons of /visitors, and how far the trainer got with a naming.
 */

/** How a visitor is shown and typed: the first 8 characters of its id. */
export const shortId = (visitorId: string) => visitorId.slice(0, 8);

/** At most this many open visitors are sent with their photo per /visitors; older ones are listed as text. */
export const VISITORS_WITH_PHOTO = 10;

/** Callback data of the visitor buttons: "vi:n:<visitorId>" (name) and "vi:i:<visitorId>" (ignore); under 64 bytes. */
export const VISITOR_CALLBACK = /^vi:([ni]):([0-9a-f-]{36})$/;

export function visitorKeyboard(v: VisitorState) {
  return {
    inline_keyboard: [
      [
        { text: "Name", callback_data: `vi:n:${v.visitorId}` },
        { text: "Ignore", callback_data: `vi:i:${v.visitorId}` },
      ],
    ],
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The caption of a visitor's photo in /visitors. */
export function visitorCaption(v: VisitorState, timeZone?: string): string {
  const id = shortId(v.visitorId);
  return [
    `👤 Visitor ${id}`,
    `${plural(v.visits, "visit")} · ${plural(v.faces, "face")} · ${v.cameras.length === 1 ? "camera" : "cameras"}: ${v.cameras.join(", ") || "-"}`,
    `last seen: ${formatTime(v.lastSeen, timeZone)}`,
    `first seen: ${formatTime(v.firstSeen, timeZone)}`,
    `/name_visitor ${id} <name> · /ignore_visitor ${id}`,
  ].join("\n");
}

/** One line per visitor (older open visitors, ambiguous prefixes). */
export function visitorLine(v: VisitorState, timeZone?: string): string {
  const status = v.status === "open" ? "" : ` [${v.status}]`;
  return `• ${shortId(v.visitorId)} — ${plural(v.visits, "visit")}, ${plural(v.faces, "face")}, ${v.cameras.join(", ") || "-"}, last seen ${formatTime(v.lastSeen, timeZone)}${status}`;
}

/** The message before the photos of /visitors (or the whole answer when no visitor is open). */
export function visitorsHeader(state: VisitorsState, open: VisitorState[]): string {
  const all = [...state.visitors.values()];
  const named = all.filter((v) => v.status === "named").length;
  const ignored = all.filter((v) => v.status === "ignored").length;
  const decided = named + ignored > 0 ? ` (${named} named and ${ignored} ignored are not shown)` : "";
  if (open.length === 0) {
    return `No open visitors${decided}. A face the recognizer does not know that comes back on several visits becomes a visitor here.`;
  }
  const shown = Math.min(open.length, VISITORS_WITH_PHOTO);
  return [
    `${plural(open.length, "open visitor")}${decided}: recurring unknown faces, most recent first${open.length > shown ? ` (the ${shown} most recent with a photo)` : ""}.`,
    "Name one with its button or /name_visitor <id> <name> (a new person), /name_visitor <id> =<name or id> (add the faces to someone in the library); /ignore_visitor <id> [reason] to stop reviewing it.",
  ].join("\n");
}

/** The open visitors after the first VISITORS_WITH_PHOTO, as text (null when there are none). */
export function olderVisitorsText(open: VisitorState[], timeZone?: string): string | null {
  const rest = open.slice(VISITORS_WITH_PHOTO);
  if (rest.length === 0) return null;
  const lines = rest.slice(0, 50).map((v) => visitorLine(v, timeZone));
  const more = rest.length > 50 ? `\n…and ${rest.length - 50} more.` : "";
  return `${plural(rest.length, "older open visitor")}:\n${lines.join("\n")}${more}`;
}

export type VisitorLookup =
  | { kind: "one"; visitor: VisitorState }
  | { kind: "several"; visitors: VisitorState[]; merged: { visitorId: string; into: VisitorState }[] }
  | { kind: "merged"; visitorId: string; into: VisitorState }
  | { kind: "none" }
  | { kind: "invalid" };

/** A visitor by the start of its id (at least 4 characters, any case), among current and merged visitors. */
export function findVisitor(state: VisitorsState, prefix: string): VisitorLookup {
  const p = prefix.trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(p)) return { kind: "invalid" };
  const current = [...state.visitors.values()].filter((v) => v.visitorId.startsWith(p));
  const merged: { visitorId: string; into: VisitorState }[] = [];
  for (const id of state.absorbedInto.keys()) {
    if (!id.startsWith(p)) continue;
    const into = survivorOf(state, id);
    if (into) merged.push({ visitorId: id, into });
  }
  if (current.length === 1 && merged.length === 0) return { kind: "one", visitor: current[0] as VisitorState };
  if (current.length === 0 && merged.length === 1) return { kind: "merged", ...(merged[0] as (typeof merged)[0]) };
  if (current.length + merged.length === 0) return { kind: "none" };
  return { kind: "several", visitors: current, merged };
}

/** The answer about a visitor that is no longer listed: merged into another one (use that one), or unknown. */
export function goneText(state: VisitorsState, visitorId: string): string {
  const into = survivorOf(state, visitorId);
  return into
    ? `Visitor ${shortId(visitorId)} was merged into visitor ${shortId(into.visitorId)} (the same face); use ${shortId(into.visitorId)}.`
    : `Visitor ${shortId(visitorId)} is no longer listed.`;
}

/** The answer for a lookup that did not find exactly one visitor. */
export function lookupProblemText(prefix: string, found: Exclude<VisitorLookup, { kind: "one" }>, timeZone?: string): string {
  switch (found.kind) {
    case "invalid":
      return `"${prefix}" is not a visitor id: give at least the first 4 characters of the id /visitors shows (0-9, a-f).`;
    case "none":
      return `No visitor id starts with "${prefix}". /visitors lists the open visitors.`;
    case "merged":
      return `Visitor ${shortId(found.visitorId)} was merged into visitor ${shortId(found.into.visitorId)} (the same face); use ${shortId(found.into.visitorId)}.`;
    case "several": {
      const lines = [
        ...found.visitors.map((v) => visitorLine(v, timeZone)),
        ...found.merged.map((m) => `• ${shortId(m.visitorId)} — merged into ${shortId(m.into.visitorId)}`),
      ];
      return `${lines.length} visitors start with "${prefix}"; give more characters of the id:\n${lines.join("\n")}`;
    }
  }
}

/** "/name_visitor <prefix> <rest>", "/ignore_visitor <prefix> [rest]": the id prefix and the rest of the text. */
export function splitVisitorArgs(args: string): { prefix: string; rest: string } {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(args.trim());
  return { prefix: m?.[1] ?? "", rest: (m?.[2] ?? "").trim() };
}

export type NamingTarget =
  | { ok: true; kind: "new"; name: string }
  | { ok: true; kind: "existing"; query: string }
  | { ok: false; error: string };

/** What a visitor is named: "<name>" (a new person) or "=<name or id>" (someone already in the library). */
export function parseNaming(text: string): NamingTarget {
  const t = text.replace(/\s+/g, " ").trim();
  if (t.startsWith("=")) {
    const query = t.slice(1).trim();
    if (!query) return { ok: false, error: "Give the name or id of the person after the =." };
    return { ok: true, kind: "existing", query };
  }
  if (!t) return { ok: false, error: "Give the name of the person." };
  if (t.startsWith("/")) return { ok: false, error: "A name that starts with / is a command, not a name." };
  if ([...t].length > MAX_NAME) return { ok: false, error: `The name is longer than ${MAX_NAME} characters.` };
  return { ok: true, kind: "new", name: t };
}

/** Why a visitor cannot be named (already named) or ignored (already named or ignored); null when it can. */
export function decidedText(v: VisitorState, action: "name" | "ignore", timeZone?: string): string | null {
  const d = v.decision;
  if (d === null) return null;
  const id = shortId(v.visitorId);
  const when = formatTime(d.at, timeZone);
  const inherited = d.inheritedFrom ? ` (decided about visitor ${shortId(d.inheritedFrom)}, merged into it)` : "";
  if (d.kind === "named") {
    return `Visitor ${id} was already named ${d.name} (id ${d.personId}) by ${d.by} on ${when}${inherited}. Nothing was changed.`;
  }
  if (action === "ignore") {
    return `Visitor ${id} was already ignored by ${d.by} on ${when}${d.reason ? ` (${d.reason})` : ""}${inherited}.`;
  }
  return null;
}

/** The acting Telegram user, as the `by` of the events the bot publishes for them. */
export function actorOf(from: { id: number; username?: string } | undefined, chatId: number): string {
  if (!from) return `telegram:${chatId}`;
  return `telegram:${from.id}${from.username ? ` (@${from.username})` : ""}`;
}

export interface NamingProgress {
  person: PersonState | null;
  /** Templates the trainer made from the visitor's faces (origin operator, by the naming's author). */
  added: number;
  /** The visitor's best faces as last published (what the trainer enrolls). */
  expected: number;
  done: boolean;
}

/**
 * How far the trainer got with a naming, from the library: the person (new or existing) and the templates made
 * from the visitor's best faces (origin operator, `sightingId` = the face's detection id, by the naming's author).
 */
export function namingProgress(
  library: LibraryState,
  personId: string,
  by: string,
  bestDetectionIds: readonly string[],
): NamingProgress {
  const person = library.people.get(personId) ?? null;
  const ids = new Set(bestDetectionIds);
  let added = 0;
  for (const t of person?.templates.values() ?? []) {
    if (t.origin.kind !== "operator" || t.origin.by !== by) continue;
    if (ids.size === 0 || (t.origin.sightingId !== undefined && ids.has(t.origin.sightingId))) added++;
  }
  const expected = ids.size;
  return { person, added, expected, done: person !== null && (expected === 0 ? added > 0 : added >= expected) };
}
