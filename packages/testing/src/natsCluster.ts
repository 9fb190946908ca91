import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { NatsServerHandle } from "@persona/runtime/nats-server";

/** A cluster of real nats-server processes on loopback, each with JetStream and routes to the others. */
export interface NatsCluster extends AsyncDisposable {
  readonly name: string;
  readonly servers: readonly NatsServerHandle[];
  /** Every member's client URL, comma-separated (what NATS_URL takes). */
  readonly url: string;
  /** The member whose JetStream server name is `serverName` (as in stream info's `cluster.leader`). */
  server(serverName: string): NatsServerHandle;
  serverName(server: NatsServerHandle): string;
  /**
   * Waits until JetStream answers through `member` and can place a stream on every member (a meta leader is elected
   * and all peers have joined), by creating and deleting a probe stream with as many replicas as servers.
   */
  waitForJetStream(member?: NatsServerHandle, timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/** A free TCP port on loopback (closed again at once; the cluster listens on it right after). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts `size` (default 3) nats-servers with JetStream, clustered through routes on free loopback ports, and waits
 * until JetStream has a meta leader. Each member keeps its route port across `restart()`, so a killed member rejoins.
 */
export async function startNatsCluster(options: { size?: number; name?: string } = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const name = options.name ?? `persona-test-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const routePorts: number[] = [];
  while (routePorts.length < size) {
    const p = await freePort();
    if (!routePorts.includes(p)) routePorts.push(p);
  }
  const names = routePorts.map((_, i) => `${name}-n${i + 1}`);
  const servers = await Promise.all(
    routePorts.map((port, i) =>
      NatsServerHandle.start({
        serverName: names[i],
        cluster: {
          name,
          port,
          routes: routePorts.filter((p) => p !== port).map((p) => `nats-route://127.0.0.1:${p}`),
        },
      }),
    ),
  );
  const byName = new Map(servers.map((s, i) => [names[i] as string, s]));
  const cluster: NatsCluster = {
    name,
    servers,
    get url() {
      return servers.map((s) => s.url).join(",");
    },
    server(serverName) {
      const s = byName.get(serverName);
      if (!s) throw new Error(`no member named ${serverName} in cluster ${name} (${names.join(", ")})`);
      return s;
    },
    serverName(server) {
      const i = servers.indexOf(server);
      if (i < 0) throw new Error("not a member of this cluster");
      return names[i] as string;
    },
    async waitForJetStream(member = servers[0], timeoutMs = 30_000) {
      if (!member) throw new Error("empty cluster");
      const nc = await connect({ servers: member.url });
      try {
        const deadline = Date.now() + timeoutMs;
        let last = "";
        for (;;) {
          try {
            const probe = `PERSONA_PROBE_${Math.random().toString(36).slice(2, 8)}`;
            const config = { name: probe, subjects: [`persona.probe.${probe}`], num_replicas: size, storage: "memory" };
            const r = await nc.request(`$JS.API.STREAM.CREATE.${probe}`, JSON.stringify(config), { timeout: 5000 });
            const created = r.json<{ error?: { description?: string } }>();
            if (!created.error) {
              await nc.request(`$JS.API.STREAM.DELETE.${probe}`, undefined, { timeout: 5000 });
              return;
            }
            last = created.error.description ?? JSON.stringify(created.error);
          } catch (err) {
            last = (err as Error).message;
          }
          if (Date.now() > deadline) throw new Error(`JetStream not available in cluster ${name} after ${timeoutMs} ms: ${last}`);
          await sleep(200);
        }
      } finally {
        await nc.close();
      }
    },
    async dispose() {
      await Promise.all(servers.map((s) => s.dispose()));
    },
    async [Symbol.asyncDispose]() {
      await cluster.dispose();
    },
  };
  try {
    await cluster.waitForJetStream();
  } catch (err) {
    await cluster.dispose();
    throw err;
  }
  return cluster;
}
