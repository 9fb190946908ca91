import {
  ConfigError,
  HealthServer,
  type Logger,
  type ReadinessCheck,
  ServiceMetrics,
  createLogger,
  env,
  loadConfig,
  onShutdown,
  redactConfig,
} from "@persona/runtime";
import { z } from "zod";
import { Bus } from "./bus.ts";

/** Default health ports of the services (each overridable with HEALTH_PORT). */
export const DEFAULT_HEALTH_PORTS = {
  camera: 9101,
  recognizer: 9102,
  trainer: 9103,
  greeter: 9104,
  cleaner: 9105,
  portal: 9106,
  bot: 9107,
} as const;
export type ServiceName = keyof typeof DEFAULT_HEALTH_PORTS;

/** Settings every service reads from the environment. */
export function commonConfigShape(service: ServiceName) {
  return {
    /** The NATS server, or several comma-separated (a cluster). The first connection is retried for 30 s (NATS may start
     * later), then reconnects never give up. */
    NATS_URL: env.url("nats://127.0.0.1:4222"),
    /** Replicas of the streams, KV and Object Store buckets when this service applies the topology at start (3 in a
     * cluster). Every service applies it: one started with another value changes every stream's replicas in place. */
    NATS_REPLICAS: env.int(1, 1, 5),
    /** Where /healthz, /readyz and /metrics listen: 0.0.0.0 for probes or a Prometheus scraper on another host or outside
     * a container. */
    HEALTH_HOST: env.str("127.0.0.1"),
    /** The port of /healthz, /readyz and /metrics (0 = any free port, logged). `persona run` sets it from
     * `<SERVICE>_HEALTH_PORT`, which `persona status` and the bot's /status read too. */
    HEALTH_PORT: env.port(DEFAULT_HEALTH_PORTS[service]),
    /** The lowest level logged (JSON lines on stdout): "debug" or "trace" to troubleshoot, "warn" for quieter logs. */
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  };
}

export interface ServiceContext<C> {
  config: C;
  log: Logger;
  metrics: ServiceMetrics;
  bus: Bus;
  health: HealthServer;
}

export interface RunningService {
  /** Readiness checks beyond the bus's own. */
  checks?: ReadinessCheck[];
  /** Stop this service's own work (consumers are stopped by the bus afterwards). */
  stop?: () => Promise<void>;
}

export type CommonConfig = z.infer<z.ZodObject<ReturnType<typeof commonConfigShape>>>;

export interface ServiceDefinition<S extends z.ZodObject> {
  name: ServiceName;
  /** The service's own settings (strict); the common ones are read separately. */
  config: S;
  start(ctx: ServiceContext<CommonConfig & z.infer<S>>): Promise<RunningService>;
}

/**
 * Wires a service: strict config from the environment (logged with secrets redacted), JSON logs, metrics,
 * the NATS connection and topology, /healthz /readyz /metrics, and a graceful stop on SIGTERM/SIGINT.
 */
export async function runService<S extends z.ZodObject>(def: ServiceDefinition<S>): Promise<void> {
  const bootLog = createLogger(def.name);
  let config: CommonConfig & z.infer<S>;
  try {
    const common = loadConfig(z.object(commonConfigShape(def.name)));
    const own = loadConfig(def.config);
    config = { ...common, ...own };
  } catch (err) {
    if (err instanceof ConfigError) {
      bootLog.fatal({ issues: err.issues }, err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(def.name, config.LOG_LEVEL);
  log.info({ config: redactConfig(config as Record<string, unknown>) }, "starting");
  const metrics = new ServiceMetrics(def.name);
  const health = new HealthServer(def.name, metrics);
  const port = await health.listen(config.HEALTH_PORT, config.HEALTH_HOST);
  log.info({ port, host: config.HEALTH_HOST }, "health endpoints at /healthz /readyz /metrics");

  let bus: Bus | undefined;
  let running: RunningService | undefined;
  const stop = onShutdown(log, async () => {
    await running?.stop?.();
    await bus?.close();
    await health.close();
  });

  try {
    bus = await Bus.connect({ url: config.NATS_URL, service: def.name, log, metrics, replicas: config.NATS_REPLICAS });
    await bus.applyTopology();
    const b = bus;
    health.addCheck({ name: "nats", check: () => b.readiness() });
    // not ready (no traffic, no rollout progress) until the service's own start has finished
    let started = false;
    health.addCheck({ name: "started", check: () => (started ? { ok: true } : { ok: false, detail: "starting" }) });
    running = await def.start({ config, log, metrics, bus, health });
    for (const c of running.checks ?? []) health.addCheck(c);
    started = true;
    log.info("ready");
  } catch (err) {
    log.fatal({ err }, "failed to start");
    process.exitCode = 1;
    await stop("start failed");
  }
}
