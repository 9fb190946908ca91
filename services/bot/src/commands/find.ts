import { lookupPerson, personDetailText, personLine, searchPeople } from "../people.ts";
import type { CommandHandler } from "./types.ts";

/** /find <text>: the person with that id or name (details), else everyone whose name or description contains it. */
export const find: CommandHandler = async ({ chatId, args }, d) => {
  if (!args) return d.say(chatId, "Usage: /find <name>");
  const state = d.library.state;
  const exact = lookupPerson(state, args);
  if (exact.kind === "one") return d.say(chatId, personDetailText(exact.person));
  const found = exact.kind === "several" ? exact.people : searchPeople(state, args);
  if (found.length === 0) return d.say(chatId, `Nobody matches "${args}".`);
  return d.say(chatId, `${found.length} match(es):\n${found.slice(0, 50).map(personLine).join("\n")}`);
};
