import { type ConfirmReply, yesNo } from "../buttons.ts";
import type { HandlerDeps } from "../deps.ts";
import type { Confirmation } from "../pending.ts";
import { lookupPerson, noneText, severalText } from "../people.ts";
import type { CommandHandler } from "./types.ts";

/** /remove <name or id>: asks with Yes/No buttons (bound to this chat), then removes through the library writer. */
export const remove: CommandHandler = async ({ chatId, args }, d) => {
  if (!args) return d.say(chatId, "Usage: /remove <name or id>");
  const found = lookupPerson(d.library.state, args);
  if (found.kind === "several") return d.say(chatId, severalText(args, found.people));
  if (found.kind === "none") return d.say(chatId, noneText(args, found.near));
  const p = found.person;
  const token = d.pending.confirm(chatId, { kind: "remove", personId: p.personId, name: p.name }, d.now());
  return d.say(chatId, `Remove ${p.name} (id ${p.personId}, ${p.templates.size} template(s)) from the library?`, {
    reply_markup: yesNo(token),
  });
};

/** The answer to /remove's question. */
export async function confirmRemove(c: Extract<Confirmation, { kind: "remove" }>, r: ConfirmReply, d: HandlerDeps) {
  if (!r.yes) return r.edit(`Kept ${c.name}.`);
  if (!d.library.state.people.has(c.personId)) return r.edit(`${c.name} is no longer in the library.`);
  const out = await d.writer.execute({
    kind: "remove-person",
    personId: c.personId,
    reason: "removed in Telegram",
    by: `telegram:${r.chatId}`,
  });
  if ("rejected" in out) return r.edit(`${c.name} is no longer in the library.`);
  d.log.info({ chatId: r.chatId, personId: c.personId }, "person removed from Telegram");
  return r.edit(`Removed ${c.name} (id ${c.personId}).`);
}
