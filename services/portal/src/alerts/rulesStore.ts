import type { Bus } from "@persona/bus";
import type { KV } from "@nats-io/kv";
import { AlertRules, DEFAULT_RULES } from "./rules.ts";

/** The alert rules in the KV `config` bucket (key `alert-rules`), DEFAULT_RULES until an admin saves some. */
export const RULES_KEY = "alert-rules";

export class RulesStore {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<RulesStore> {
    return new RulesStore(await bus.kv("config"));
  }

  async get(): Promise<AlertRules> {
    const e = await this.kv.get(RULES_KEY);
    if (e === null || e.operation !== "PUT" || e.value.length === 0) return DEFAULT_RULES;
    const parsed = AlertRules.safeParse(JSON.parse(new TextDecoder().decode(e.value)));
    // a stored document that no longer validates (an older schema) falls back to the defaults rather than no alerts
    return parsed.success ? parsed.data : DEFAULT_RULES;
  }

  /** Stores validated rules (the caller validated them with AlertRules). */
  async put(rules: AlertRules): Promise<void> {
    await this.kv.put(RULES_KEY, JSON.stringify(rules));
  }
}
