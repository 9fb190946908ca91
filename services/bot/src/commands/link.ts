import type { CommandHandler } from "./types.ts";

/** A console username as the portal records a session's owner: 1-64 characters, no surrounding spaces. */
const USERNAME = /^\S(.{0,62}\S)?$/u;

/**
 * /link <console user>: this chat speaks for that console user: the absentees of the sessions they own, and their
 * digest, come here (a session whose owner no chat is linked to goes to the chats subscribed to alerts). /link alone
 * says what this chat is linked to; /unlink ends it.
 */
export const link: CommandHandler = async ({ chatId, args }, d) => {
  if (args === "") {
    const user = await d.chats.linkedUser(chatId);
    return d.say(
      chatId,
      user === null
        ? "This chat is not linked to a console user. /link <username> sends it the absentees and digests of the sessions that user owns."
        : `🔗 This chat is linked to the console user ${user}: it gets the absentees and digests of the sessions ${user} owns.`,
    );
  }
  if (!USERNAME.test(args))
    return d.say(chatId, "A console username is 1 to 64 characters, without spaces around it: /link <username>");
  await d.chats.link(chatId, args);
  return d.say(chatId, `🔗 This chat now gets the absentees and digests of the sessions ${args} owns.`);
};

export const unlink: CommandHandler = async ({ chatId }, d) => {
  const was = await d.chats.link(chatId, null);
  return d.say(chatId, was === null ? "This chat was not linked to a console user." : `This chat no longer speaks for ${was}.`);
};
