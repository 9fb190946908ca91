import type { Bus } from "@persona/bus";
import type { LibraryState } from "@persona/library";
import { type SessionsEvent, type SessionsState, defaultGroupId, emptySessions, evolve, normalizeName } from "@persona/sessions";
import { SessionsWriter, replayGroups } from "@persona/sessions/writer";
import type { HandlerDeps } from "../deps.ts";
import { lookupPerson, noneText, severalText } from "../people.ts";
import type { CommandCall, CommandHandler } from "./types.ts";

/**
 * Groups from Telegram (#17): /groups lists them, /group <name> shows one's members, /group_add and /group_remove
 * change them. The groups are read fresh from SESSIONS (`sessions.group.>`, small) for each command and written
 * through `@persona/sessions/writer`, the portal's and `persona import`'s one way of appending them.
 */

/** The groups as SESSIONS holds them, with the library's people (whom a group may take in). */
async function groupsNow(bus: Bus, library: LibraryState): Promise<SessionsState> {
  const state = emptySessions();
  for (const p of library.people.values()) state.people.set(p.personId, p.name);
  return replayGroups(bus, state);
}

function findGroup(state: SessionsState, query: string) {
  const byId = state.groups.get(query.trim());
  if (byId) return byId;
  const key = normalizeName(query);
  return [...state.groups.values()].find((g) => normalizeName(g.name) === key);
}

export const groups: CommandHandler = async ({ chatId }, d) => {
  const state = await groupsNow(d.bus, d.library.state);
  const list = [...state.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (list.length === 0) return d.say(chatId, "No groups yet. /group_add <group> = <person> creates one.");
  return d.say(chatId, list.map((g) => `${g.name} — ${g.members.size} member(s)`).join("\n"));
};

export const group: CommandHandler = async ({ chatId, args }, d) => {
  if (!args) return d.say(chatId, "Usage: /group <group name or id>");
  const state = await groupsNow(d.bus, d.library.state);
  const g = findGroup(state, args);
  if (!g) return d.say(chatId, `No group "${args}". /groups lists them.`);
  const names = [...g.members].map((p) => state.people.get(p) ?? p).sort((a, b) => a.localeCompare(b));
  return d.say(chatId, `${g.name} (${names.length}):\n${names.join("\n") || "nobody yet"}`);
};

/** `<group> = <person>`: both parts, or a usage text. */
function parts(args: string): { group: string; person: string } | null {
  const i = args.indexOf("=");
  if (i < 0) return null;
  const group = args.slice(0, i).trim();
  const person = args.slice(i + 1).trim();
  return group && person ? { group, person } : null;
}

async function change(call: CommandCall, d: HandlerDeps, add: boolean): Promise<void> {
  const { chatId, args, actor } = call;
  const p = parts(args);
  if (!p) return d.say(chatId, `Usage: /group_${add ? "add" : "remove"} <group name> = <person name or id>`);
  const found = lookupPerson(d.library.state, p.person);
  if (found.kind === "several") return d.say(chatId, severalText(p.person, found.people));
  if (found.kind === "none") return d.say(chatId, noneText(p.person, found.near));
  const person = found.person;
  const state = await groupsNow(d.bus, d.library.state);
  const writer = new SessionsWriter(d.bus, () => state);
  let g = findGroup(state, p.group);
  if (!g && !add) return d.say(chatId, `No group "${p.group}". /groups lists them.`);
  let created = false;
  if (!g) {
    const groupId = defaultGroupId(p.group);
    const out = await writer.execute({ kind: "create-group", groupId, name: p.group.normalize("NFC"), by: actor });
    if ("rejection" in out) return d.say(chatId, `The group could not be created: ${out.rejection.message}`);
    for (const w of out.events) evolve(state, w.env as unknown as SessionsEvent);
    g = state.groups.get(groupId);
    created = true;
  }
  if (!g) return d.say(chatId, `No group "${p.group}".`);
  const out = await writer.execute({
    kind: "change-members",
    groupId: g.groupId,
    add: add ? [person.personId] : [],
    remove: add ? [] : [person.personId],
    by: actor,
  });
  if ("rejection" in out) return d.say(chatId, `Not changed: ${out.rejection.message}`);
  d.log.info({ chatId, groupId: g.groupId, personId: person.personId, add }, "group changed from Telegram");
  if (out.events.length === 0) {
    return d.say(chatId, add ? `${person.name} is already in ${g.name}.` : `${person.name} is not in ${g.name}.`);
  }
  return d.say(
    chatId,
    `${add ? "Added" : "Removed"} ${person.name} ${add ? "to" : "from"} ${g.name}${created ? " (new group)" : ""}.`,
  );
}

export const groupAdd: CommandHandler = (call, d) => change(call, d, true);
export const groupRemove: CommandHandler = (call, d) => change(call, d, false);
