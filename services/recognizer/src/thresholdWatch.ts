/**
 * Follows the admin's threshold for this recognizer's model and mode (KV `config`, `thresholds.<model>.<mode>`,
 * @persona/contracts thresholds.ts) and applies it to the live vote options in place: every handler holding them
 * decides with the new values from the next shot on, without a restart. A deleted or unreadable entry restores the
 * RECOGNIZER_* settings and the model's tuned values.
 */
import type { KV } from "@nats-io/kv";
import { type ThresholdMode, ThresholdOverride, thresholdKey } from "@persona/contracts";
import type { VoteOptions } from "@persona/recognition";
import type { Logger } from "@persona/runtime";

export interface ThresholdWatch {
  /** The override applied now (null: the settings' values). */
  readonly current: ThresholdOverride | null;
  stop(): void;
}

/**
 * `optionsFor(override)` builds the complete vote options (the settings with the override's naming threshold and
 * margin); they are copied into `vote`, the object the handlers hold.
 */
export async function watchThresholds(o: {
  kv: KV;
  model: string;
  mode: ThresholdMode;
  vote: VoteOptions;
  optionsFor: (override: ThresholdOverride | null) => VoteOptions;
  log: Logger;
}): Promise<ThresholdWatch> {
  const key = thresholdKey(o.model, o.mode);
  let current: ThresholdOverride | null = null;
  const apply = (text: string | null) => {
    let next: ThresholdOverride | null = null;
    if (text !== null) {
      const parsed = ThresholdOverride.safeParse(safeJson(text));
      if (parsed.success) next = parsed.data;
      else o.log.warn({ key }, "the stored threshold does not parse: the settings' thresholds apply");
    }
    current = next;
    Object.assign(o.vote, o.optionsFor(next));
    o.log.info(
      { key, nameThreshold: o.vote.nameThreshold, minMargin: o.vote.minMargin, by: next?.updatedBy ?? null },
      next ? "thresholds set in the console apply" : "thresholds from the settings apply",
    );
  };
  const first = await o.kv.get(key);
  if (first && first.operation === "PUT" && first.length > 0) apply(first.string());
  const watch = await o.kv.watch({ key, include: "updates" });
  void (async () => {
    for await (const e of watch) apply(e.operation === "PUT" && e.length > 0 ? e.string() : null);
  })().catch((err: unknown) => o.log.error({ err, key }, "the threshold watch ended"));
  return {
    get current() {
      return current;
    },
    stop: () => watch.stop(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
