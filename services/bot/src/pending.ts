import { randomBytes } from "node:crypto";

/**
 * What a chat was asked and may answer: confirmations behind inline buttons (by a random token, bound to the chat
 * that was asked, expiring) and the one open question of a chat (the erase phrase, the name for an alert's face or
 * a visitor).
 * In memory: a restart forgets them, and the buttons then say so. Pure; the clock is passed in.
 */

export type Confirmation = { kind: "remove"; personId: string; name: string } | { kind: "reset" };

export type Question =
  | { kind: "erase-phrase" }
  | { kind: "enroll-name"; alertId: string }
  | { kind: "visitor-name"; visitorId: string };

interface Entry<T> {
  chatId: number;
  value: T;
  expiresAt: number;
}

export class PendingState {
  private readonly confirmations = new Map<string, Entry<Confirmation>>();
  private readonly questions = new Map<number, Entry<Question>>();

  constructor(private readonly ttlMs: number) {}

  /** A token for the buttons of a confirmation (12 hex characters: callback data must stay under 64 bytes). */
  confirm(chatId: number, value: Confirmation, now: number): string {
    this.prune(now);
    const token = randomBytes(6).toString("hex");
    this.confirmations.set(token, { chatId, value, expiresAt: now + this.ttlMs });
    return token;
  }

  /** The confirmation behind a token, once: only for the chat it was asked in, and only before it expires. */
  takeConfirmation(token: string, chatId: number, now: number): Confirmation | null {
    const e = this.confirmations.get(token);
    if (!e || e.chatId !== chatId) return null;
    this.confirmations.delete(token);
    return e.expiresAt > now ? e.value : null;
  }

  ask(chatId: number, value: Question, now: number): void {
    this.prune(now);
    this.questions.set(chatId, { chatId, value, expiresAt: now + this.ttlMs });
  }

  /** The chat's open question, once (an expired one is dropped). */
  takeQuestion(chatId: number, now: number): Question | null {
    const e = this.questions.get(chatId);
    if (!e) return null;
    this.questions.delete(chatId);
    return e.expiresAt > now ? e.value : null;
  }

  /** Forgets everything a chat was asked (on logout). */
  forget(chatId: number): void {
    this.questions.delete(chatId);
    for (const [t, e] of this.confirmations) if (e.chatId === chatId) this.confirmations.delete(t);
  }

  private prune(now: number): void {
    for (const [t, e] of this.confirmations) if (e.expiresAt <= now) this.confirmations.delete(t);
    for (const [c, e] of this.questions) if (e.expiresAt <= now) this.questions.delete(c);
  }
}
