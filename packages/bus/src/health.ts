import { DEFAULT_HEALTH_PORTS, type ServiceName } from "./service.ts";

/**
 * Reading other services' health endpoints (`/readyz`, `/metrics` on their HEALTH_PORT): `persona status`, the soak
 * test and the portal's System page use it. Ports come from `<SERVICE>_HEALTH_PORT` or the documented defaults, as
 * `persona run` sets them.
 */

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

/** A service replica's health endpoint root, e.g. { service: "recognizer", url: "http://127.0.0.1:9102" }. */
export interface HealthTarget {
  service: string;
  url: string;
}

/** Every service on 127.0.0.1 at its health port (<SERVICE>_HEALTH_PORT or the default), as `persona status` probes. */
export function defaultHealthTargets(env: NodeJS.ProcessEnv = process.env): HealthTarget[] {
  return SERVICE_NAMES.map((s) => ({ service: s, url: `http://127.0.0.1:${healthPort(s, env)}` }));
}

/**
 * Parses "service=http://host:port,service=http://host:port" (a service may repeat: one entry per replica). Throws
 * on an entry that is not name=http(s)://...
 */
export function parseHealthTargets(s: string): HealthTarget[] {
  const out: HealthTarget[] = [];
  for (const part of s
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = part.indexOf("=");
    const url = part.slice(i + 1).replace(/\/+$/, "");
    if (i <= 0 || !/^https?:\/\/[^/]+$/.test(url))
      throw new Error(`expected service=http(s)://host:port, got ${JSON.stringify(part)}`);
    out.push({ service: part.slice(0, i), url });
  }
  return out;
}

export interface ServiceReadiness {
  service: ServiceName;
  port: number;
  reachable: boolean;
  ready: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
  error?: string;
}

export interface ReplicaReadiness {
  service: string;
  url: string;
  reachable: boolean;
  ready: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
  error?: string;
}

/** GET <url>/readyz: reachable, ready, the checks; a replica answering as another service is not ready. */
export async function readinessAt(service: string, url: string, timeoutMs = 2000): Promise<ReplicaReadiness> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { ready?: unknown; checks?: unknown; service?: unknown };
    if (body.service !== service) {
      return { service, url, reachable: true, ready: false, checks: [], error: `${url} answers as ${String(body.service)}` };
    }
    const checks = Array.isArray(body.checks) ? (body.checks as ReplicaReadiness["checks"]) : [];
    return { service, url, reachable: true, ready: body.ready === true, checks };
  } catch (err) {
    return { service, url, reachable: false, ready: false, checks: [], error: (err as Error).message };
  }
}

export async function readinessOf(service: ServiceName, port: number, timeoutMs = 2000): Promise<ServiceReadiness> {
  const r = await readinessAt(service, `http://127.0.0.1:${port}`, timeoutMs);
  const out: ServiceReadiness = { service, port, reachable: r.reachable, ready: r.ready, checks: r.checks };
  if (r.error !== undefined) out.error = r.error.replace(`http://127.0.0.1:${port} answers`, `port ${port} answers`);
  return out;
}

/** One sample of the Prometheus text format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (what prom-client writes); comments and bad lines are skipped. */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = (l[2] as string).replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    const value = Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** GET <url>/metrics, parsed; null when the replica does not answer. */
export async function metricsAt(url: string, timeoutMs = 2000): Promise<MetricSample[] | null> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return parseMetrics(await res.text());
  } catch {
    return null;
  }
}
