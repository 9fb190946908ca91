import { SERVICE_NAMES, healthPort, readinessOf } from "../services.ts";

export async function statusCommand(args: { json: boolean }): Promise<number> {
  const results = await Promise.all(SERVICE_NAMES.map((s) => readinessOf(s, healthPort(s))));
  const allReady = results.every((r) => r.ready);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ready: allReady, services: results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const state = r.ready ? "ready" : r.reachable ? "NOT READY" : "DOWN";
      const detail =
        r.error ?? r.checks.map((c) => `${c.name}: ${c.ok ? "ok" : "failing"}${c.detail ? ` (${c.detail})` : ""}`).join("; ");
      process.stdout.write(`${r.service.padEnd(11)} :${String(r.port).padEnd(6)} ${state.padEnd(10)} ${detail}\n`);
    }
    process.stdout.write(allReady ? "all services ready\n" : "some services are not ready\n");
  }
  return allReady ? 0 : 1;
}
