import type { Context } from "telegraf";
import type { Update } from "telegraf/types";
import { ALERT_CALLBACK } from "../alerts.ts";
import { CONFIRM_CALLBACK } from "../buttons.ts";
import type { HandlerDeps } from "../deps.ts";
import { DUPLICATE_CALLBACK } from "../enroll.ts";
import { VISITOR_CALLBACK } from "../visitors.ts";
import { alertButton } from "./alertButtons.ts";
import { confirmButton } from "./confirmButtons.ts";
import { enrollAnywayButton } from "./duplicateButton.ts";
import type { ButtonHandler } from "./types.ts";
import { visitorButton } from "./visitorButtons.ts";

/**
 * The inline buttons, by their callback data. Every press comes through the gate, so only logged-in chats get
 * here (others get a refusal pop-up); the first pattern that matches handles the press.
 */
export const BUTTONS: readonly { pattern: RegExp; handler: ButtonHandler }[] = [
  { pattern: CONFIRM_CALLBACK, handler: confirmButton },
  { pattern: DUPLICATE_CALLBACK, handler: enrollAnywayButton },
  { pattern: ALERT_CALLBACK, handler: alertButton },
  { pattern: VISITOR_CALLBACK, handler: visitorButton },
];

export async function onButton(d: HandlerDeps, ctx: Context<Update>, chatId: number, actor: string): Promise<void> {
  const q = ctx.callbackQuery;
  const data = q && "data" in q ? q.data : "";
  const press = { ctx, chatId, actor, messageId: q?.message?.message_id };
  for (const { pattern, handler } of BUTTONS) {
    const match = pattern.exec(data);
    if (match) return handler(press, match, d);
  }
  await ctx.answerCbQuery("Unknown button.");
}
