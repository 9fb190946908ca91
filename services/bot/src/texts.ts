/** What a chat that has not logged in is told. */

export const REFUSAL = "⛔ Not allowed: this chat has not logged in. Send /login <password> in a private chat with the bot.";

export const START_TEXT =
  "Persona-ID bot. Only chats that have logged in can use it: send /login <password> in a private chat with the bot " +
  "(the message with the password is deleted at once). Ask the administrator for the password.";
