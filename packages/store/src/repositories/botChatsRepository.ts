import { z } from "zod";
import { StoreValidationError } from "../errors.ts";
import type { CollectionDef, DocumentStore } from "../types.ts";
import { UtcTime, Repository, ValidatedCollection } from "./common.ts";

/** Telegram chats that talked to the bot. */
export const BotChatDoc = z.object({
  /** String(chatId). */
  id: z.string().regex(/^-?\d+$/),
  /** Telegram chat id (negative for groups; fits in 52 bits). */
  chatId: z.number().int().refine(Number.isSafeInteger, "a safe integer"),
  /** Logged in with the admin password. */
  isAdmin: z.boolean().default(false),
  /** Receives alerts. */
  subscribed: z.boolean().default(false),
  loggedInAt: UtcTime.nullable().default(null),
  /** The console user this chat speaks for (`/link`): sessions they own send their absentees and digests here. */
  portalUser: z.string().min(1).max(200).nullable().default(null),
});
export type BotChatDoc = z.infer<typeof BotChatDoc>;
export type BotChatInput = z.input<typeof BotChatDoc>;

export const BOT_CHATS_COLLECTION: CollectionDef = {
  name: "bot_chats",
  indexes: [{ fields: ["subscribed"] }, { fields: ["isAdmin"] }],
};

export function botChatId(chatId: number): string {
  return String(chatId);
}

export class BotChatsRepository extends Repository<typeof BotChatDoc, BotChatInput> {
  static async open(store: DocumentStore): Promise<BotChatsRepository> {
    return new BotChatsRepository(await ValidatedCollection.open(store, BOT_CHATS_COLLECTION, BotChatDoc));
  }

  async get(chatId: number): Promise<BotChatDoc | undefined> {
    return this.docs.get(botChatId(chatId));
  }

  protected toStored(chat: BotChatInput): BotChatInput {
    return checkId(chat);
  }

  async delete(chatId: number): Promise<boolean> {
    return this.docs.delete(botChatId(chatId));
  }

  /** Chats that receive alerts. */
  async listSubscribed(): Promise<BotChatDoc[]> {
    return this.docs.find({ subscribed: true }, { sort: { chatId: 1 } });
  }

  /** Chats linked to this console user. */
  async listLinked(portalUser: string): Promise<BotChatDoc[]> {
    return this.docs.find({ portalUser }, { sort: { chatId: 1 } });
  }

  async listAdmins(): Promise<BotChatDoc[]> {
    return this.docs.find({ isAdmin: true }, { sort: { chatId: 1 } });
  }
}

function checkId(chat: BotChatInput): BotChatInput {
  if (typeof chat.chatId !== "number" || chat.id !== botChatId(chat.chatId)) {
    throw new StoreValidationError(`bot_chats: id must be String(chatId), got ${JSON.stringify(chat.id)}`);
  }
  return chat;
}
