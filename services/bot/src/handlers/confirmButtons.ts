import type { ConfirmReply } from "../buttons.ts";
import { confirmRemove } from "../commands/remove.ts";
import { confirmReset } from "../commands/reset.ts";
import type { HandlerDeps } from "../deps.ts";
import type { Confirmation } from "../pending.ts";
import type { ButtonHandler } from "./types.ts";

type ConfirmHandler<C extends Confirmation> = (c: C, reply: ConfirmReply, d: HandlerDeps) => Promise<void>;

/** Who acts on Yes or No, for each kind of confirmation (the commands that ask them). */
const CONFIRMATIONS: { [K in Confirmation["kind"]]: ConfirmHandler<Extract<Confirmation, { kind: K }>> } = {
  remove: confirmRemove,
  reset: (_c, reply, d) => confirmReset(reply, d),
};

/**
 * Yes / No under a question (CONFIRM_CALLBACK): only in the chat that was asked, once, before it expires. The
 * answer replaces the question's text.
 */
export const confirmButton: ButtonHandler = async ({ ctx, chatId, messageId }, match, d) => {
  const c = d.pending.takeConfirmation(match[2] as string, chatId, d.now());
  if (!c) {
    await ctx.answerCbQuery("This question has expired; ask again.");
    return;
  }
  await ctx.answerCbQuery();
  const edit = (text: string) =>
    messageId === undefined
      ? d.say(chatId, text)
      : d.telegram.editMessageText(chatId, messageId, undefined, text).then(() => undefined);
  await (CONFIRMATIONS[c.kind] as ConfirmHandler<Confirmation>)(c, { chatId, yes: match[1] === "y", edit }, d);
};
