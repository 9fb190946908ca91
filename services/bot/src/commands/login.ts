import type { CommandHandler } from "./types.ts";

/**
 * /login <password>: any chat may send it, but it works only in a private chat. The message is deleted at once
 * (the password must not stay in the chat, whatever happens next); wrong passwords are limited per chat.
 */
export const login: CommandHandler = async ({ chatId, chatType, args: password, messageId }, d) => {
  if (password)
    await d.telegram
      .deleteMessage(chatId, messageId)
      .catch((err: Error) => d.log.warn({ chatId, err: err.message }, "cannot delete the /login message"));
  if (chatType !== "private") return d.say(chatId, "⛔ Log in only in a private chat with the bot, never in a group.");
  const now = d.now();
  const gate = d.limiter.check(chatId, now);
  if (!gate.allowed) {
    return d.say(chatId, `⛔ Too many wrong passwords. Try again in ${Math.ceil(gate.retryAfterMs / 60_000)} min.`);
  }
  if (!password) return d.say(chatId, "Send /login <password> (the message is deleted at once).");
  if (await d.password.verify(password)) {
    d.limiter.succeeded(chatId);
    await d.chats.login(chatId, now);
    d.log.info({ chatId }, "chat logged in");
    return d.say(chatId, `✅ Logged in. This chat can now use the bot.\n\n${d.help}`);
  }
  const after = d.limiter.failed(chatId, now);
  d.log.warn({ chatId, locked: !after.allowed }, "wrong bot password");
  await d.say(
    chatId,
    after.allowed
      ? `⛔ Wrong password. ${d.limiter.remaining(chatId, now)} attempt(s) left before a lockout.`
      : `⛔ Wrong password. Too many attempts: this chat is locked out for ${Math.ceil(after.retryAfterMs / 60_000)} min.`,
  );
};
