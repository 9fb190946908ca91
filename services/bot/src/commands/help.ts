import type { CommandHandler } from "./types.ts";

/** /start and /help in an admin chat: the commands. (A chat that has not logged in gets START_TEXT instead.) */
export const help: CommandHandler = ({ chatId }, d) => d.say(chatId, d.help);

/** A command that is not in the table. */
export const unknownCommand: CommandHandler = ({ chatId, name }, d) => d.say(chatId, `Unknown command /${name}.\n\n${d.help}`);
