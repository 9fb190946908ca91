import { hostname } from "node:os";
import { type Bus, type ConsumerLoop, type Handler, Lease, ok, skipped } from "@persona/bus";
import { CONSUMERS } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import type { DocumentStore } from "@persona/store";
import { openCollections } from "./collections.ts";
import type { Config } from "./config.ts";
import { erasePerson, removePerson } from "./erasure.ts";
import { HealthMonitor } from "./health.ts";
import { type RetentionResult, runRetention } from "./retention.ts";
import { policyFromConfig } from "./retentionPolicy.ts";

/** The lease key of the active cleaner. */
export const CLEANER_LEASE_KEY = "cleaner";

export interface CleanerDeps {
  bus: Bus;
  store: DocumentStore;
  config: Config;
  log: Logger;
  now?: () => number;
  /** Who this cleaner is, in the lease (default host:pid). */
  holder?: string;
  /** Start the timers (retention, health, lease). Tests drive the runs themselves with false. Default true. */
  schedule?: boolean;
}

export interface RunningCleaner {
  lease: Lease;
  health: HealthMonitor;
  removals: ConsumerLoop;
  /** One retention run now (whether or not this cleaner holds the lease). */
  runRetention(): Promise<RetentionResult>;
  readonly lastRetention: RetentionResult | null;
  stop(): Promise<void>;
}

/**
 * The cleaner: handles removal and erasure requests (any cleaner replica, from the `removal` work queue), and, while
 * it holds the lease, runs retention every CLEANER_INTERVAL_MINUTES and the health checks every
 * CLEANER_HEALTH_INTERVAL_SECONDS.
 */
export async function startCleaner(d: CleanerDeps): Promise<RunningCleaner> {
  const now = d.now ?? Date.now;
  const { bus, config, log } = d;
  const collections = await openCollections(d.store);
  const leases = await bus.kv("leases");
  const lease = new Lease(leases, {
    key: CLEANER_LEASE_KEY,
    holder: d.holder ?? `${hostname()}:${process.pid}`,
    ttlMs: config.CLEANER_LEASE_SECONDS * 1000,
    now,
  });
  const health = new HealthMonitor(
    bus,
    leases,
    {
      pendingThreshold: config.CLEANER_PENDING_THRESHOLD,
      redeliveredThreshold: config.CLEANER_REDELIVERED_THRESHOLD,
      consecutive: config.CLEANER_HEALTH_CONSECUTIVE,
    },
    now,
    log.child({ part: "health" }),
  );
  const policy = policyFromConfig(config);
  let lastRetention: RetentionResult | null = null;
  const retention = async () => {
    lastRetention = await runRetention({ bus, collections, policy, now, log: log.child({ part: "retention" }) });
    return lastRetention;
  };

  const removal = CONSUMERS.find((c) => c.durable === "removal");
  if (!removal) throw new Error("the topology declares no 'removal' consumer");
  const removePersonHandler: Handler<"RemovePerson"> = async (env, ctx) => {
    const r = env.data;
    if (r.erase) {
      const result = await erasePerson(
        { bus, collections, log: ctx.log, settleMs: config.ERASE_SETTLE_SECONDS * 1000 },
        { personId: r.personId, by: r.requestedBy, reason: r.reason, cause: env, commandSeq: ctx.streamSeq },
      );
      ctx.log.info({ personId: r.personId, existed: result.existed }, "erasure request handled");
      return ok();
    }
    const removed = await removePerson(bus, { personId: r.personId, by: r.requestedBy, reason: r.reason, cause: env });
    if (!removed.existed) {
      ctx.log.warn({ personId: r.personId }, "removal of someone not in the library: nothing to do");
      return skipped(`person ${r.personId} is not in the library`);
    }
    ctx.log.info({ personId: r.personId }, "removal request handled");
    return ok();
  };
  const removals = await bus.consume({ consumer: removal, concurrency: 1, handlers: { RemovePerson: removePersonHandler } });

  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;
  const every = (name: string, ms: number, firstMs: number, job: () => Promise<void>) => {
    const run = () => {
      if (stopped) return;
      const p = job()
        .catch((err) => log.error({ err, job: name }, "scheduled job failed"))
        .finally(() => {
          running.delete(p);
          if (!stopped) timers.add(setTimeout(run, ms));
        });
      running.add(p);
    };
    timers.add(setTimeout(run, firstMs));
  };

  if (d.schedule !== false) {
    let wasHeld = false;
    const leaseMs = config.CLEANER_LEASE_SECONDS * 1000;
    every("lease", Math.floor(leaseMs / 3), 0, async () => {
      const held = await lease.acquire();
      if (held !== wasHeld) {
        log.info({ holder: lease.holder }, held ? "this cleaner is the active one" : "another cleaner is active");
        // our health state may be stale after someone else held the lease
        if (held) health.reset();
      }
      wasHeld = held;
    });
    every("health", config.CLEANER_HEALTH_INTERVAL_SECONDS * 1000, 2000, async () => {
      if (lease.held) await health.check();
    });
    every("retention", config.CLEANER_INTERVAL_MINUTES * 60_000, 5000, async () => {
      if (lease.held) await retention();
    });
  }

  return {
    lease,
    health,
    removals,
    runRetention: retention,
    get lastRetention() {
      return lastRetention;
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all([...running]);
      await removals.stop();
      await lease.release().catch(() => undefined);
    },
  };
}
