/** What a handler decided about a message. The consumer loop maps it to ack / nak(delay) / term. */
export type Outcome =
  | { kind: "ok" }
  /** The message was valid but this handler has nothing to do with it. Acked. */
  | { kind: "skipped"; reason: string }
  /** A passing failure: try again after `delayMs` (until the consumer's max deliveries, then dead-lettered). */
  | { kind: "retry"; delayMs: number; reason: string }
  /** The message can never succeed: dead-letter it with the reason and terminate it. */
  | { kind: "poison"; reason: string };

export const ok = (): Outcome => ({ kind: "ok" });
export const skipped = (reason: string): Outcome => ({ kind: "skipped", reason });
export const retry = (reason: string, delayMs = 1000): Outcome => ({ kind: "retry", reason, delayMs });
export const poison = (reason: string): Outcome => ({ kind: "poison", reason });
