import type { HandlerDeps } from "../deps.ts";

/** One command as it arrived: who sent it where, and its arguments. */
export interface CommandCall {
  chatId: number;
  /** "private", "group", "supergroup", "channel". */
  chatType: string;
  /** The acting Telegram user, the `by` of what the command publishes: `telegram:<user id> (@username)`. */
  actor: string;
  /** Lower-case, without the slash and the @botname. */
  name: string;
  /** The rest of the text, trimmed. */
  args: string;
  messageId: number;
}

export type CommandHandler = (call: CommandCall, d: HandlerDeps) => Promise<void>;

/**
 * Who may run a command. "anyone": any chat, also one that has not logged in (the handler runs before the login
 * check and does its own checks: /login). "admin": logged-in chats only; any other chat gets `guestText` (REFUSAL
 * unless set) and nothing else.
 */
export type Access = "anyone" | "admin";

export interface CommandSpec {
  access: Access;
  /** What a chat that has not logged in gets instead (admin commands only); REFUSAL when not set. */
  guestText?: string;
  /** The description in the command menu Telegram clients show; not in the menu when not set. */
  menu?: string;
  /** The lines of /help; not listed when not set. */
  help?: readonly string[];
  handler: CommandHandler;
}
