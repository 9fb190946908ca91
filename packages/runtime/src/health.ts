import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceMetrics } from "./metrics.ts";

export interface ReadinessCheck {
  name: string;
  check(): { ok: boolean; detail?: string } | Promise<{ ok: boolean; detail?: string }>;
}

export interface ReadinessReport {
  ready: boolean;
  service: string;
  checks: { name: string; ok: boolean; detail?: string }[];
}

/**
 * A tiny HTTP server per service: /healthz (the process lives), /readyz (every readiness check passes),
 * /metrics (Prometheus text). Binds to 127.0.0.1 unless told otherwise.
 */
export class HealthServer {
  private server: Server | undefined;
  private readonly checks: ReadinessCheck[] = [];

  constructor(
    private readonly service: string,
    private readonly metrics: ServiceMetrics,
  ) {}

  addCheck(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async readiness(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      this.checks.map(async (c) => {
        try {
          const r = await c.check();
          return { name: c.name, ...r };
        } catch (err) {
          return { name: c.name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return { ready: checks.length > 0 && checks.every((c) => c.ok), service: this.service, checks };
  }

  async listen(port: number, host = "127.0.0.1"): Promise<number> {
    this.server = createServer((req, res) => {
      const url = req.url?.split("?")[0];
      if (req.method !== "GET") {
        res.writeHead(405).end();
        return;
      }
      if (url === "/healthz") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, service: this.service }));
      } else if (url === "/readyz") {
        void this.readiness().then((r) =>
          res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(r)),
        );
      } else if (url === "/metrics") {
        void this.metrics.registry
          .metrics()
          .then((text) => res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(text));
      } else {
        res.writeHead(404).end();
      }
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
