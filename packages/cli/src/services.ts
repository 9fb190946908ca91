import { DEFAULT_HEALTH_PORTS, type ServiceName } from "@persona/bus";

export const SERVICE_NAMES = Object.keys(DEFAULT_HEALTH_PORTS) as ServiceName[];

/** The health port of a service: <SERVICE>_HEALTH_PORT (e.g. CAMERA_HEALTH_PORT) or its documented default. */
export function healthPort(service: ServiceName, env: NodeJS.ProcessEnv = process.env): number {
  const v = env[`${service.toUpperCase()}_HEALTH_PORT`];
  if (v === undefined || v === "") return DEFAULT_HEALTH_PORTS[service];
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535)
    throw new Error(`${service.toUpperCase()}_HEALTH_PORT must be a port number, got ${JSON.stringify(v)}`);
  return n;
}

export interface ServiceReadiness {
  service: ServiceName;
  port: number;
  reachable: boolean;
  ready: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
  error?: string;
}

export async function readinessOf(service: ServiceName, port: number, timeoutMs = 2000): Promise<ServiceReadiness> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { ready?: unknown; checks?: unknown; service?: unknown };
    if (body.service !== service) {
      return {
        service,
        port,
        reachable: true,
        ready: false,
        checks: [],
        error: `port ${port} answers as ${String(body.service)}`,
      };
    }
    const checks = Array.isArray(body.checks) ? (body.checks as ServiceReadiness["checks"]) : [];
    return { service, port, reachable: true, ready: body.ready === true, checks };
  } catch (err) {
    return { service, port, reachable: false, ready: false, checks: [], error: (err as Error).message };
  }
}
