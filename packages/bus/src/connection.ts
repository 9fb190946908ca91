import { type NatsConnection, connect } from "@nats-io/transport-node";
import type { Logger } from "@persona/runtime";

export interface ConnectOptions {
  url: string;
  name: string;
  log: Logger;
  /** How long to keep trying the first connection before failing (ms). */
  initialTimeoutMs?: number;
}

/**
 * Connects with unlimited reconnects and logs every connection status change. The first connection is
 * retried (the server may still be starting) until `initialTimeoutMs`.
 */
export async function connectNats(options: ConnectOptions): Promise<NatsConnection> {
  const { url, name, log } = options;
  const deadline = Date.now() + (options.initialTimeoutMs ?? 30_000);
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      const nc = await connect({
        servers: url.split(",").map((s) => s.trim()),
        name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 10_000,
        waitOnFirstConnect: false,
      });
      log.info({ server: nc.getServer(), attempt }, "connected to NATS");
      void (async () => {
        for await (const s of nc.status()) {
          switch (s.type) {
            case "disconnect":
              log.warn({ server: s.server }, "NATS disconnected");
              break;
            case "reconnect":
              log.info({ server: s.server }, "NATS reconnected");
              break;
            case "reconnecting":
              log.debug("NATS reconnecting");
              break;
            case "error":
              log.error({ err: s.error }, "NATS error");
              break;
            case "staleConnection":
            case "slowConsumer":
            case "ldm":
            case "update":
            case "ping":
            case "forceReconnect":
            case "close":
              log.debug({ status: s.type }, "NATS status");
              break;
            default:
              log.debug({ status: (s as { type: string }).type }, "NATS status");
          }
        }
      })();
      return nc;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`cannot connect to NATS at ${url} after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
      }
      if (attempt === 1 || attempt % 10 === 0)
        log.warn({ url, attempt, err: (err as Error).message }, "NATS not reachable yet, retrying");
      await new Promise((r) => setTimeout(r, Math.min(250 * attempt, 2000)));
    }
  }
}
