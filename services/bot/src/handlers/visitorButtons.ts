import { removeButtons } from "../buttons.ts";
import { ignoreVisitor } from "../commands/ignoreVisitor.ts";
import { decidedText, goneText, shortId } from "../visitors.ts";
import type { ButtonHandler } from "./types.ts";

/**
 * The buttons under a visitor of /visitors (VISITOR_CALLBACK): Ignore acts at once and removes the buttons; Name
 * asks for the name in the next message. A visitor decided already, or no longer listed, is said so.
 */
export const visitorButton: ButtonHandler = async ({ ctx, chatId, actor, messageId }, match, d) => {
  const visitorId = match[2] as string;
  const v = d.visitors.state.visitors.get(visitorId);
  if (!v) {
    await ctx.answerCbQuery(goneText(d.visitors.state, visitorId), { show_alert: true });
    return;
  }
  const refused = decidedText(v, match[1] === "n" ? "name" : "ignore", d.options.timeZone);
  if (refused) {
    await ctx.answerCbQuery(refused.slice(0, 200), { show_alert: true });
    await removeButtons(d, chatId, messageId);
    return;
  }
  if (match[1] === "i") {
    const text = await ignoreVisitor(actor, v, "", d);
    await ctx.answerCbQuery("Ignored");
    await removeButtons(d, chatId, messageId);
    return d.say(chatId, text);
  }
  d.pending.ask(chatId, { kind: "visitor-name", visitorId }, d.now());
  await ctx.answerCbQuery();
  return d.say(
    chatId,
    `Who is visitor ${shortId(visitorId)}? Send the name of a new person, or =<name or id> to add the faces to someone in the library.`,
  );
};
