import type { KV } from "@nats-io/kv";
import type { Bus } from "@persona/bus";
import { STREAMS, uuidFrom } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import { z } from "zod";
import {
  type ConsumerSample,
  type DeadLetterSample,
  type HealthOptions,
  type HealthState,
  evaluateHealth,
  markRaised,
  newHealthState,
} from "./healthRules.ts";
import { isNotFound } from "./streams.ts";

/** Where the active cleaner keeps its health state (in the `leases` bucket), so a restart or a takeover goes on from it. */
export const HEALTH_STATE_KEY = "cleaner-health";

const StateSchema = z.object({
  conditions: z.record(
    z.string(),
    z.object({
      kind: z.enum(["consumer-backlog", "consumer-redeliveries", "dead-letters"]),
      breaches: z.number(),
      clears: z.number(),
      last: z.number(),
      alertId: z.string().nullable(),
    }),
  ),
  deadLettersSeen: z.boolean(),
});

const SEVERITY = { "consumer-backlog": "high", "consumer-redeliveries": "medium", "dead-letters": "high" } as const;

export interface HealthCheckResult {
  consumers: ConsumerSample[];
  deadLetters: DeadLetterSample[];
  raised: { alertId: string; key: string; message: string }[];
  resolved: { alertId: string; key: string }[];
}

/** Reads every durable consumer and the dead letters, raises and resolves system alerts. */
export class HealthMonitor {
  private state: HealthState | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly kv: KV,
    private readonly options: HealthOptions,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  private async load(): Promise<HealthState> {
    if (this.state) return this.state;
    const e = await this.kv.get(HEALTH_STATE_KEY);
    let state = newHealthState();
    if (e !== null && e.operation === "PUT" && e.length > 0) {
      const parsed = StateSchema.safeParse(JSON.parse(e.string()));
      if (parsed.success) state = parsed.data;
      else this.log.warn("stored health state is invalid; starting afresh");
    }
    this.state = state;
    return state;
  }

  /** Forget the in-memory state (another cleaner may have moved on while this one did not hold the lease). */
  reset(): void {
    this.state = null;
  }

  async sample(): Promise<{ consumers: ConsumerSample[]; deadLetters: DeadLetterSample[] }> {
    const consumers: ConsumerSample[] = [];
    for (const s of STREAMS) {
      try {
        for await (const c of this.bus.jsm.consumers.list(s.name)) {
          if (!c.config.durable_name) continue;
          consumers.push({
            stream: s.name,
            durable: c.config.durable_name,
            numPending: c.num_pending,
            numRedelivered: c.num_redelivered,
            numAckPending: c.num_ack_pending,
          });
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const deadLetters: DeadLetterSample[] = [];
    const info = await this.bus.jsm.streams.info("DEADLETTER", { subjects_filter: ">" });
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
      const m = await this.bus.jsm.streams.getMessage("DEADLETTER", { last_by_subj: subject }).catch(() => null);
      if (m) deadLetters.push({ subject, lastSeq: m.seq, count });
    }
    return { consumers, deadLetters };
  }

  async check(): Promise<HealthCheckResult> {
    const state = await this.load();
    const { consumers, deadLetters } = await this.sample();
    const decisions = evaluateHealth(state, consumers, deadLetters, this.options);
    const at = new Date(this.now()).toISOString();
    const raised: HealthCheckResult["raised"] = [];
    for (const r of decisions.raise) {
      const alertId = uuidFrom(`health/${r.key}/${at}`);
      await this.bus.publish(
        this.bus.envelope(
          "AlertRaised",
          {
            alertId,
            rule: r.kind,
            kind: "system",
            severity: SEVERITY[r.kind],
            message: r.message,
            cameraId: null,
            personId: null,
            trackId: null,
            sightingId: null,
            crop: null,
          },
          { id: alertId },
        ),
      );
      markRaised(state, r.key, alertId);
      raised.push({ alertId, key: r.key, message: r.message });
      this.log.warn({ condition: r.key, alertId }, r.message);
    }
    const resolved: HealthCheckResult["resolved"] = [];
    for (const r of decisions.resolve) {
      await this.bus.publish(
        this.bus.envelope(
          "AlertResolved",
          { alertId: r.alertId, by: "cleaner", note: r.message },
          { id: uuidFrom(`health-resolved/${r.alertId}`) },
        ),
      );
      resolved.push({ alertId: r.alertId, key: r.key });
      this.log.info({ condition: r.key, alertId: r.alertId }, r.message);
    }
    await this.kv.put(HEALTH_STATE_KEY, JSON.stringify(state));
    return { consumers, deadLetters, raised, resolved };
  }
}
