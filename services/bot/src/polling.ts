import type { Logger } from "@persona/runtime";
import type { Telegraf } from "telegraf";
import { redact, telegramErrorCode } from "./util.ts";

/**
 * Telegram long polling, started again `retryMs` after a network failure (telegraf gives up on getMe errors); a
 * wrong token (401, 404) stops it for good. `username` is set once getMe answered, `failure` says why it stopped.
 */
export class Polling {
  #username: string | null = null;
  #failure: string | null = null;
  #stopping = false;
  #wake: () => void = () => undefined;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly bot: Telegraf,
    private readonly o: { token: string; retryMs: number },
    private readonly log: Logger,
    /** Called on every successful launch. */
    private readonly onLaunch: () => void,
  ) {}

  get username(): string | null {
    return this.#username;
  }

  get failure(): string | null {
    return this.#failure;
  }

  /** Starts polling; resolves once the first launch succeeded or failed, or after 10 s. */
  async start(): Promise<void> {
    let launched: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      launched = resolve;
    });
    this.#loop = this.run(() => launched());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake();
    try {
      this.bot.stop("service stopping");
    } catch {
      // polling is not running
    }
    await this.#loop;
  }

  private async run(launched: () => void): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.bot.launch({ allowedUpdates: ["message", "callback_query"] }, () => {
          this.#username = this.bot.botInfo?.username ?? null;
          this.#failure = null;
          launched();
          this.onLaunch();
        });
      } catch (err) {
        this.#failure = redact(err, this.o.token).message;
        const code = telegramErrorCode(err);
        this.log.error({ err: this.#failure }, "Telegram polling stopped");
        launched();
        if (code === 401 || code === 404) return;
      }
      if (!this.#stopping) await this.pause();
    }
  }

  /** retryMs, cut short by stop(). */
  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.o.retryMs);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
