import type { CommandHandler } from "./types.ts";

/** /subscribe and /unsubscribe: alerts in this chat, or no more. */
function subscription(on: boolean, answer: string): CommandHandler {
  return async ({ chatId }, d) => {
    await d.chats.setSubscribed(chatId, on);
    return d.say(chatId, answer);
  };
}

export const subscribe = subscription(true, "🔔 This chat now receives alerts.");
export const unsubscribe = subscription(false, "🔕 This chat no longer receives alerts.");
