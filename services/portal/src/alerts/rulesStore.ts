import type { Bus } from "@persona/bus";
import type { KV } from "@nats-io/kv";
import { AlertRules, DEFAULT_RULES } from "./rules.ts";

/** The alert rules in the KV `config` bucket (key `alert-rules`), DEFAULT_RULES until an admin saves some. */
export const RULES_KEY = "alert-rules";

export class RulesStore {
  /** The rules last read or written: what `get` answers while NATS is away. */
  #last: AlertRules | null = null;

  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<RulesStore> {
    return new RulesStore(await bus.kv("config"));
  }

  /**
   * The stored rules. While NATS does not answer, the rules last read or written (a portal that never read them
   * throws, as before).
   */
  async get(): Promise<AlertRules> {
    let e: Awaited<ReturnType<KV["get"]>>;
    try {
      e = await this.kv.get(RULES_KEY);
    } catch (err) {
      if (this.#last) return this.#last;
      throw err;
    }
    if (e === null || e.operation !== "PUT" || e.value.length === 0) {
      this.#last = DEFAULT_RULES;
      return this.#last;
    }
    const parsed = AlertRules.safeParse(JSON.parse(new TextDecoder().decode(e.value)));
    // a stored document that no longer validates (an older schema) falls back to the defaults rather than no alerts
    this.#last = parsed.success ? parsed.data : DEFAULT_RULES;
    return this.#last;
  }

  /** Stores validated rules (the caller validated them with AlertRules). */
  async put(rules: AlertRules): Promise<void> {
    await this.kv.put(RULES_KEY, JSON.stringify(rules));
    this.#last = rules;
  }
}
