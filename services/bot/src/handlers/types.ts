import type { Context } from "telegraf";
import type { Update } from "telegraf/types";
import type { HandlerDeps } from "../deps.ts";

/** A press on an inline button of a logged-in chat. */
export interface ButtonPress {
  /** For answerCbQuery. */
  ctx: Context<Update>;
  chatId: number;
  /** The acting Telegram user (`telegram:<user id> (@username)`). */
  actor: string;
  /** The message the button is under, when Telegram says. */
  messageId: number | undefined;
}

/** Handles a press whose callback data matched the handler's pattern. */
export type ButtonHandler = (press: ButtonPress, match: RegExpExecArray, d: HandlerDeps) => Promise<void>;

/** A text message of a logged-in chat that is not a command: the answer to the chat's open question, if any. */
export interface TextAnswer {
  chatId: number;
  text: string;
  actor: string;
}
