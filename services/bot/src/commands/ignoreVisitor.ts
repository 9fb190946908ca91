import type { VisitorState } from "@persona/library";
import type { HandlerDeps } from "../deps.ts";
import { decidedText, shortId } from "../visitors.ts";
import type { CommandHandler } from "./types.ts";
import { visitorOfArgs } from "./visitors.ts";

/** /ignore_visitor <id> [reason]: the visitor leaves the open list. */
export const ignoreVisitorCommand: CommandHandler = async ({ chatId, actor, args }, d) => {
  const found = await visitorOfArgs(chatId, args, "Usage: /ignore_visitor <id> [reason]. /visitors shows the ids.", d);
  if (!found) return;
  return d.say(chatId, await ignoreVisitor(actor, found.visitor, found.rest, d));
};

/** Publishes VisitorIgnored (unless the visitor was decided already); returns the answer for the chat. */
export async function ignoreVisitor(actor: string, v: VisitorState, reason: string, d: HandlerDeps): Promise<string> {
  const id = shortId(v.visitorId);
  const refused = decidedText(v, "ignore", d.options.timeZone);
  if (refused) return refused;
  if ([...reason].length > 1000) return "The reason is longer than 1000 characters.";
  const ack = await d.bus.publish(
    d.bus.envelope("VisitorIgnored", { visitorId: v.visitorId, by: actor, reason: reason || "ignored in Telegram" }),
  );
  await d.visitors.waitForSeq(ack.seq).catch(() => undefined);
  d.log.info({ visitorId: v.visitorId, by: actor }, "visitor ignored from Telegram");
  return `🙈 Visitor ${id} ignored${reason ? ` (${reason})` : ""}: it leaves the open visitors. /name_visitor ${id} <name> still names it.`;
}
