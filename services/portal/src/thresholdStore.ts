/**
 * Naming thresholds an admin sets per model and mode (KV `config`, `thresholds.<model>.<mode>`; @persona/contracts
 * thresholds.ts): the recognizers follow them at once, and so does the portal's search by photo.
 */
import type { KV } from "@nats-io/kv";
import { type Bus, isWrongRevision } from "@persona/bus";
import { type ThresholdMode, ThresholdOverride, thresholdKey } from "@persona/contracts";
import { ApiError, unavailable } from "./http/errors.ts";
import { NATS_READ_TIMEOUT_MS, within } from "./natsRead.ts";

export class ThresholdStore {
  /** The last value read per key: what the recognizers also keep applying while NATS is away. */
  readonly #last = new Map<string, ThresholdOverride | null>();

  constructor(
    private readonly kv: Pick<KV, "get" | "put" | "delete">,
    private readonly readTimeoutMs = NATS_READ_TIMEOUT_MS,
  ) {}

  static async open(bus: Bus): Promise<ThresholdStore> {
    return new ThresholdStore(await bus.kv("config"));
  }

  /**
   * The admin's override, or null (none, or one that no longer parses). While NATS is away (the read fails or takes
   * longer than 2 s) the last value read; a 503 when there is none yet.
   */
  async get(model: string, mode: ThresholdMode): Promise<ThresholdOverride | null> {
    const key = thresholdKey(model, mode);
    let value: ThresholdOverride | null;
    try {
      value = parse(await within(this.kv.get(key), this.readTimeoutMs));
    } catch (err) {
      if (this.#last.has(key)) return this.#last.get(key) ?? null;
      throw unavailable(`the naming thresholds cannot be read now (${(err as Error).message}); try again shortly`);
    }
    this.#last.set(key, value);
    return value;
  }

  async put(model: string, mode: ThresholdMode, value: ThresholdOverride): Promise<void> {
    await this.kv.put(thresholdKey(model, mode), JSON.stringify(value));
    this.#last.set(thresholdKey(model, mode), value);
  }

  async remove(model: string, mode: ThresholdMode): Promise<void> {
    try {
      await this.kv.delete(thresholdKey(model, mode));
      this.#last.set(thresholdKey(model, mode), null);
    } catch (err) {
      if (isWrongRevision(err)) throw new ApiError(409, "conflict", "the threshold was changed meanwhile: load it again");
      throw err;
    }
  }
}

function parse(e: Awaited<ReturnType<KV["get"]>>): ThresholdOverride | null {
  if (e?.operation !== "PUT" || e.length === 0) return null;
  try {
    const parsed = ThresholdOverride.safeParse(JSON.parse(e.string()));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
