import type { Bus, ServiceName } from "@persona/bus";
import { type DataOf, STREAMS } from "@persona/contracts";

/** /status: each service's /readyz (like `persona status`), the cameras' last status, and consumer lag. */

export interface ServiceReadiness {
  service: string;
  ready: boolean;
  reachable: boolean;
  detail: string;
}

export async function readinessOf(service: string, port: number, host: string, timeoutMs = 2000): Promise<ServiceReadiness> {
  try {
    const res = await fetch(`http://${host}:${port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as {
      ready?: unknown;
      service?: unknown;
      checks?: { name: string; ok: boolean; detail?: string }[];
    };
    if (body.service !== service)
      return { service, ready: false, reachable: true, detail: `port ${port} answers as ${String(body.service)}` };
    const failing = (body.checks ?? []).filter((c) => !c.ok);
    const detail = (failing.length > 0 ? failing : (body.checks ?? []).filter((c) => c.detail))
      .map((c) => `${c.name}${c.ok ? "" : " failing"}${c.detail ? `: ${c.detail}` : ""}`)
      .join("; ");
    return { service, ready: body.ready === true, reachable: true, detail };
  } catch (err) {
    return { service, ready: false, reachable: false, detail: `no answer on port ${port} (${(err as Error).name})` };
  }
}

export type CameraStatus = DataOf<"CameraStatusChanged"> & { at: string };

/** The last CameraStatusChanged of every camera (one message per subject). */
export async function cameraStatuses(bus: Bus): Promise<CameraStatus[]> {
  const subject = "system.camera.*.status";
  const info = await bus.jsm.streams.info("SYSTEM", { subjects_filter: subject });
  const subjects = Object.keys(info.state.subjects ?? {});
  const out: CameraStatus[] = [];
  for (const s of subjects) {
    const env = await bus.last("CameraStatusChanged", s).catch(() => null);
    if (env !== null) out.push({ ...env.data, at: env.occurredAt });
    if (out.length > 200) break;
  }
  return out.sort((a, b) => (a.cameraId < b.cameraId ? -1 : 1));
}

export interface ConsumerLag {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  redelivered: number;
}

/** Every durable consumer of every declared stream: messages not yet delivered, delivered but not acked, redelivered. */
export async function consumerLag(bus: Bus): Promise<ConsumerLag[]> {
  const out: ConsumerLag[] = [];
  for (const s of STREAMS) {
    try {
      for await (const c of bus.jsm.consumers.list(s.name)) {
        if (!c.config.durable_name) continue;
        out.push({
          stream: s.name,
          consumer: c.config.durable_name,
          pending: c.num_pending,
          ackPending: c.num_ack_pending,
          redelivered: c.num_redelivered,
        });
      }
    } catch {
      // a stream that does not exist has no consumers
    }
  }
  return out;
}

export function statusText(services: ServiceReadiness[], cameras: CameraStatus[], lag: ConsumerLag[]): string {
  const lines: string[] = [];
  const ready = services.filter((s) => s.ready).length;
  lines.push(`Services: ${ready} of ${services.length} ready`);
  for (const s of services) {
    const mark = s.ready ? "✅" : s.reachable ? "⚠️" : "❌";
    lines.push(`${mark} ${s.service}${s.ready ? "" : s.reachable ? " not ready" : " down"}${s.detail ? ` — ${s.detail}` : ""}`);
  }
  lines.push("");
  if (cameras.length === 0) lines.push("Cameras: none has reported");
  else {
    lines.push(`Cameras: ${cameras.filter((c) => c.status === "live").length} of ${cameras.length} live`);
    for (const c of cameras) {
      const mark = c.status === "live" ? "✅" : c.status === "starting" || c.status === "reconnecting" ? "⚠️" : "❌";
      lines.push(
        `${mark} ${c.cameraId} (${c.role}): ${c.status} since ${c.at.slice(0, 19).replace("T", " ")} UTC${c.message ? ` — ${c.message}` : ""}`,
      );
    }
  }
  lines.push("");
  const behind = lag.filter((l) => l.pending + l.ackPending > 0 || l.redelivered > 0);
  lines.push(`Consumers: ${lag.length}, ${behind.length === 0 ? "none behind" : `${behind.length} behind`}`);
  for (const l of lag) {
    const mark = l.pending > 1000 || l.redelivered > 0 ? "⚠️" : "•";
    lines.push(
      `${mark} ${l.stream}/${l.consumer}: ${l.pending} waiting, ${l.ackPending} in progress${l.redelivered > 0 ? `, ${l.redelivered} redelivered` : ""}`,
    );
  }
  return lines.join("\n");
}

/** `host` may name each service's host with `{service}` (e.g. "persona-{service}" in Kubernetes). */
export async function gatherStatus(bus: Bus, ports: Record<ServiceName, number>, host: string): Promise<string> {
  const [services, cameras, lag] = await Promise.all([
    Promise.all(Object.entries(ports).map(([s, p]) => readinessOf(s, p, host.replaceAll("{service}", s)))),
    cameraStatuses(bus).catch(() => []),
    consumerLag(bus),
  ]);
  return statusText(services, cameras, lag);
}
