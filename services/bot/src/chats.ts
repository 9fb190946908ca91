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
      portalUser: doc?.portalUser ?? null,
    });
  }

  /** Logging out also ends the subscription and the link: alerts and session notices go to admin chats only. */
  async logout(chatId: number): Promise<boolean> {
    const doc = await this.repo.get(chatId);
    if (!doc) return false;
    await this.repo.put({ ...doc, isAdmin: false, subscribed: false, loggedInAt: null, portalUser: null });
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

  /** Links the chat to a console user (null: unlinks); returns the previous link. */
  async link(chatId: number, portalUser: string | null): Promise<string | null> {
    const doc = await this.repo.get(chatId);
    if (!doc) return null;
    await this.repo.put({ ...doc, portalUser });
    return doc.portalUser;
  }

  async linkedUser(chatId: number): Promise<string | null> {
    return (await this.repo.get(chatId))?.portalUser ?? null;
  }

  /**
   * Where a session's owner hears about it (absentees, digests): the logged-in chats linked to the owner (`/link`),
   * else, when none is, the chats subscribed to alerts.
   */
  async ownerChats(owner: string, now: number): Promise<number[]> {
    const linked = (await this.repo.listLinked(owner)).filter((d) => this.live(d, now)).map((d) => d.chatId);
    return linked.length > 0 ? linked : this.alertChats(now);
  }
}
