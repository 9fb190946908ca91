import { removeButtons } from "../buttons.ts";
import type { ButtonHandler } from "./types.ts";

/**
 * "Enroll anyway" under photos refused as another person's (DUPLICATE_CALLBACK): enrolls them with allowDuplicate,
 * only for the chat that sent them and while the offer lasts (the Enroller checks both).
 */
export const enrollAnywayButton: ButtonHandler = async ({ ctx, chatId, messageId }, match, d) => {
  await removeButtons(d, chatId, messageId);
  const token = match[1] as string;
  await ctx.answerCbQuery();
  await d.guarded(chatId, async () => {
    if (!(await d.enroller.insist(chatId, token))) await d.say(chatId, "This offer has expired; send the photo again.");
  });
};
