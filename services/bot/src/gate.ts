import type { Context } from "telegraf";
import type { Update } from "telegraf/types";
import { commandSpec } from "./commands/index.ts";
import { unknownCommand } from "./commands/help.ts";
import type { CommandCall, CommandSpec } from "./commands/types.ts";
import type { AnyMessage, HandlerDeps } from "./deps.ts";
import { onButton } from "./handlers/callbacks.ts";
import { onMedia } from "./handlers/media.ts";
import { onText } from "./handlers/text.ts";
import { commandOf } from "./parse.ts";
import { REFUSAL } from "./texts.ts";
import { actorOf } from "./visitors.ts";

/**
 * The gate every update goes through, one chat's updates in order. A chat that has not logged in gets a refusal
 * and nothing else (only commands open to anyone run: /login; /start and /help answer with how to log in);
 * nothing it sends is downloaded, stored or published. A logged-in chat's update goes to its handler: a command
 * (the table in commands/index.ts), a button, a photo or document, a text.
 */
export function gate(d: HandlerDeps): (ctx: Context<Update>) => Promise<void> {
  return async (ctx) => {
    const chat = ctx.chat;
    if (!chat) return; // inline queries, polls...: nothing was sent in a chat, nothing is answered
    if ("my_chat_member" in ctx.update || "chat_member" in ctx.update || "chat_join_request" in ctx.update) return;
    await d.queue.run(chat.id, () => handle(d, ctx, chat.id, chat.type));
  };
}

async function handle(d: HandlerDeps, ctx: Context<Update>, chatId: number, chatType: string): Promise<void> {
  const msg = ("message" in ctx.update ? ctx.update.message : undefined) as AnyMessage | undefined;
  const cmd = commandOf(msg?.text, ctx.botInfo?.username);
  const spec = cmd ? commandSpec(cmd.name) : undefined;
  const actor = actorOf(ctx.from, chatId);
  const call: CommandCall | null = msg && cmd ? { chatId, chatType, actor, ...cmd, messageId: msg.message_id } : null;
  if (call && spec?.access === "anyone") return spec.handler(call, d);
  if (!(await d.chats.isAdmin(chatId, d.now()))) return refuse(d, ctx, chatId, spec);
  if ("callback_query" in ctx.update) return onButton(d, ctx, chatId, actor);
  if (!msg) return; // an edited message, a channel post...: not a request
  if (call) {
    d.pending.takeQuestion(chatId, d.now()); // a command ends any open question
    return (spec?.handler ?? unknownCommand)(call, d);
  }
  if (msg.photo || msg.document) return onMedia(d, chatId, msg);
  if (msg.text !== undefined) return onText(d, chatId, msg.text, actor);
  await d.say(chatId, "I understand photos (with a name as caption) and commands. /help lists them.");
}

/** The one answer a chat that has not logged in gets: a pop-up for a button, else the command's guest text. */
async function refuse(d: HandlerDeps, ctx: Context<Update>, chatId: number, spec: CommandSpec | undefined): Promise<void> {
  if ("callback_query" in ctx.update) {
    await ctx.answerCbQuery(REFUSAL, { show_alert: true });
    return;
  }
  await d.say(chatId, spec?.guestText ?? REFUSAL);
}
