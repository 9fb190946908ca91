/**
 * Naming thresholds an admin sets per model and mode (KV `config`, `thresholds.<model>.<mode>`; @persona/contracts
 * thresholds.ts): the recognizers follow them at once, and so does the portal's search by photo.
 */
import type { KV } from "@nats-io/kv";
import { type Bus, isWrongRevision } from "@persona/bus";
import { type ThresholdMode, ThresholdOverride, thresholdKey } from "@persona/contracts";
import { ApiError } from "./http/errors.ts";

export class ThresholdStore {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<ThresholdStore> {
    return new ThresholdStore(await bus.kv("config"));
  }

  /** The admin's override, or null (none, or one that no longer parses). */
  async get(model: string, mode: ThresholdMode): Promise<ThresholdOverride | null> {
    const e = await this.kv.get(thresholdKey(model, mode));
    if (e?.operation !== "PUT" || e.length === 0) return null;
    try {
      const parsed = ThresholdOverride.safeParse(JSON.parse(e.string()));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async put(model: string, mode: ThresholdMode, value: ThresholdOverride): Promise<void> {
    await this.kv.put(thresholdKey(model, mode), JSON.stringify(value));
  }

  async remove(model: string, mode: ThresholdMode): Promise<void> {
    try {
      await this.kv.delete(thresholdKey(model, mode));
    } catch (err) {
      if (isWrongRevision(err)) throw new ApiError(409, "conflict", "the threshold was changed meanwhile: load it again");
      throw err;
    }
  }
}
