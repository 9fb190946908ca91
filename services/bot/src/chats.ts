import type { BotChatDoc, BotChatsRepository } from "@persona/store";

/**
 * Admin chats and alert subscriptions, stored with the BotChatsRepository. A chat is an admin only while its login
 * is younger than the session limit (0: no limit), so a changed password plus a short limit locks old chats out.
 */
export class ChatRegistry {
  constructor(
    private readonly repo: BotChatsRepository,
    private readonly sessionMs: number,
  ) {}

  private live(doc: BotChatDoc | undefined, now: number): doc is BotChatDoc {
    if (!doc?.isAdmin) return false;
    if (this.sessionMs <= 0) return true;
    return doc.loggedInAt !== null && now - Date.parse(doc.loggedInAt) < this.sessionMs;
  }

  async isAdmin(chatId: number, now: number): Promise<boolean> {
    return this.live(await this.repo.get(chatId), now);
  }

  async login(chatId: number, now: number): Promise<void> {
    const doc = await this.repo.get(chatId);
    await this.repo.put({
      id: String(chatId),
      chatId,
      isAdmin: true,
      subscribed: doc?.subscribed ?? false,
      loggedInAt: new Date(now).toISOString(),
    });
  }

  /** Logging out also ends the subscription: alerts go to admin chats only. */
  async logout(chatId: number): Promise<boolean> {
    const doc = await this.repo.get(chatId);
    if (!doc) return false;
    await this.repo.put({ ...doc, isAdmin: false, subscribed: false, loggedInAt: null });
    return doc.isAdmin;
  }

  async setSubscribed(chatId: number, subscribed: boolean): Promise<boolean> {
    const doc = await this.repo.get(chatId);
    if (!doc) return false;
    const was = doc.subscribed;
    await this.repo.put({ ...doc, subscribed });
    return was;
  }

  /** Chats that receive alerts now: subscribed and still logged in. */
  async alertChats(now: number): Promise<number[]> {
    return (await this.repo.listSubscribed()).filter((d) => this.live(d, now)).map((d) => d.chatId);
  }
}
