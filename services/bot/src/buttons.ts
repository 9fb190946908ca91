import type { HandlerDeps } from "./deps.ts";

/** Inline buttons the commands attach, and what their presses share. */

/** Callback data of the Yes/No buttons of a confirmation: "c:y:<token>", "c:n:<token>". */
export const CONFIRM_CALLBACK = /^c:([yn]):([0-9a-f]{12})$/;

export function yesNo(token: string) {
  return {
    inline_keyboard: [
      [
        { text: "Yes", callback_data: `c:y:${token}` },
        { text: "No", callback_data: `c:n:${token}` },
      ],
    ],
  };
}

/** Removes the buttons under a message (a decision was made); a message that is gone is fine. */
export async function removeButtons(d: HandlerDeps, chatId: number, messageId: number | undefined): Promise<void> {
  if (messageId !== undefined)
    await d.telegram.editMessageReplyMarkup(chatId, messageId, undefined, undefined).catch(() => undefined);
}

/** A press on Yes or No: the chat, which, and how to replace the question with the answer. */
export interface ConfirmReply {
  chatId: number;
  yes: boolean;
  edit(text: string): Promise<void>;
}
