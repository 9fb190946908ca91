import type { CommandHandler } from "./types.ts";

/** /logout: ends this chat's login, its alert subscription and whatever it was asked. */
export const logout: CommandHandler = async ({ chatId }, d) => {
  d.pending.forget(chatId);
  await d.chats.logout(chatId);
  d.log.info({ chatId }, "chat logged out");
  return d.say(chatId, "Logged out. This chat no longer receives alerts; /login to come back.");
};
