import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake service replica on a free loopback port: /readyz answers ready as the services do, /metrics serves
 * `metrics()` in the Prometheus text format, anything else is a 404. Close it with `server.close()`.
 */
export function fakeService(service: string, metrics: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ service, ready: true, checks: [{ name: "nats", ok: true, detail: "connected" }] }));
    } else if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(metrics());
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** `http://127.0.0.1:<port>` of a listening server. */
export const serverUrl = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
