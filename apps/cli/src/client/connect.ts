import { join } from "node:path";
import { Bus } from "@persona/bus";
import { ServiceMetrics, createLogger, dataDir } from "@persona/runtime";
import { type DocumentStore, openStore, redactStoreUrl, storeConfigFromEnv } from "@persona/store";
import { CliError, NatsUnavailableError } from "../errors.ts";

/**
 * The one place where CLI commands connect: NATS (the bus) and, for the commands that need it, the document store.
 * Defaults match `persona run`, so on one machine the commands need no settings.
 */

/** Port of the local nats-server that `persona run` starts (PERSONA_NATS_PORT, default 4333). */
export const DEFAULT_LOCAL_NATS_PORT = 4333;

/** NATS_URL, or the local `persona run` server: nats://127.0.0.1:<PERSONA_NATS_PORT, default 4333>. */
export function cliNatsUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.NATS_URL?.trim();
  if (url) return url;
  const port = env.PERSONA_NATS_PORT?.trim() || String(DEFAULT_LOCAL_NATS_PORT);
  return `nats://127.0.0.1:${port}`;
}

export interface CliConnectOptions {
  env?: NodeJS.ProcessEnv;
  /** How long to try the first connection (ms). Default 3000: a CLI should say at once that nothing answers. */
  connectTimeoutMs?: number;
}

/**
 * Connects to NATS as service "cli" (the `source` of what the CLI publishes). Logs stay silent: the CLI's stdout is
 * its output (and may be JSON). Throws NatsUnavailableError, with what to do, when no NATS answers.
 */
export async function connectCli(options: CliConnectOptions = {}): Promise<Bus> {
  const url = cliNatsUrl(options.env);
  try {
    return await Bus.connect({
      url,
      service: "cli",
      log: createLogger("cli", "silent"),
      metrics: new ServiceMetrics("cli"),
      connectTimeoutMs: options.connectTimeoutMs ?? 3000,
      publishRetryMs: 10_000,
    });
  } catch (err) {
    const hint = (options.env ?? process.env).NATS_URL
      ? "check NATS_URL"
      : "start the system with 'persona run' (or set NATS_URL to another NATS)";
    throw new NatsUnavailableError(`no NATS answers at ${url}: ${hint}`, 1, { cause: err });
  }
}

/** Makes sure the declared streams, consumers and buckets exist (idempotent; what every service does at start). */
export async function ensureTopology(bus: Bus): Promise<void> {
  try {
    await bus.applyTopology();
  } catch (err) {
    throw new CliError(`cannot set up the JetStream topology: ${(err as Error).message}`, 1, { cause: err });
  }
}

/** STORE_URL, or the SQLite file `persona run` uses: sqlite:<PERSONA_DATA_DIR, default ./data>/persona.db. */
export function cliStoreUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.STORE_URL?.trim();
  return url ? url : `sqlite:${join(dataDir(env), "persona.db")}`;
}

export async function openCliStore(env: NodeJS.ProcessEnv = process.env): Promise<DocumentStore> {
  const url = cliStoreUrl(env);
  try {
    return await openStore(storeConfigFromEnv({ ...env, STORE_URL: url }));
  } catch (err) {
    throw new CliError(`cannot open the store at ${redactStoreUrl(url)}: ${(err as Error).message}`, 1, { cause: err });
  }
}
