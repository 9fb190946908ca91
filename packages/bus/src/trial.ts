import { type EnvelopeOf, type MessageType, isTrialEvent } from "@persona/contracts";
import type { Handler, HandlerContext, HandlerMap } from "./consumer.ts";
import { skipped } from "./outcome.ts";

/** The skip reason of a trial camera's event (`persona watch` without --record; see @persona/contracts' trial.ts). */
export const TRIAL_SKIP_REASON = "a trial camera's (persona watch): not recorded";

/**
 * The handlers of a consumer that records (read models, alerts, self-learning, greetings), each skipping the events of
 * trial cameras (`isTrialEvent`): acked as skipped, never handled. The one place such a consumer decides it.
 */
export function skipTrialEvents<M extends Partial<HandlerMap>>(handlers: M): M {
  const wrapped: Partial<Record<MessageType, Handler<MessageType>>> = {};
  for (const [type, handler] of Object.entries(handlers) as [MessageType, Handler<MessageType> | undefined][]) {
    if (!handler) continue;
    wrapped[type] = async (env: EnvelopeOf<MessageType>, ctx: HandlerContext) =>
      isTrialEvent(env) ? skipped(TRIAL_SKIP_REASON) : handler(env, ctx);
  }
  return wrapped as M;
}
