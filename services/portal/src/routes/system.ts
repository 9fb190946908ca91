import { type MetricSample, metricsAt, readinessAt } from "@persona/bus";
import type { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { SystemStatus } from "../http/schemas.ts";

type Status = z.infer<typeof SystemStatus>;

/** A counter's last reading, to tell its rate at the next one. */
interface Reading {
  value: number;
  at: number;
  rate: number | null;
}

/** Per-second rate of a counter since its previous reading (kept per key); a reset counter starts again. */
function rateOf(readings: Map<string, Reading>, key: string, value: number, at: number): number | null {
  const prev = readings.get(key);
  let rate = prev?.rate ?? null;
  if (prev && value < prev.value) rate = null;
  else if (prev && at - prev.at >= 500) rate = ((value - prev.value) * 1000) / (at - prev.at);
  else if (prev) {
    readings.set(key, { ...prev, rate });
    return rate;
  }
  readings.set(key, { value, at, rate });
  return rate;
}

function sum(samples: MetricSample[], name: string, match: Record<string, string> = {}): number | null {
  const hits = samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? null : hits.reduce((a, s) => a + s.value, 0);
}

/**
 * GET /system: the portal's own checks, every service replica's readiness (their /readyz), durable consumers' lag,
 * dead letters, the cameras' state and fps, the recognizers' throughput (their /metrics) and the store's size;
 * answers during a NATS outage and with services down.
 */
export function systemRoutes(api: Api, c: PortalContext): void {
  const readings = new Map<string, Reading>();
  api.add({
    method: "get",
    path: "/system",
    summary: "Readiness of the portal and of every service replica, consumer lag, dead letters, cameras, throughput, store size",
    tag: "system",
    role: "viewer",
    responses: { 200: SystemStatus },
    async handler() {
      const consumers: Status["consumers"] = [];
      let deadLetters: number | null = 0;
      let natsError: string | null = null;
      const probes = Promise.all(
        c.serviceHealth.map(async (t) => {
          const [ready, metrics] = await Promise.all([
            readinessAt(t.service, t.url),
            t.service === "camera" || t.service === "recognizer" ? metricsAt(t.url) : Promise.resolve(null),
          ]);
          return { target: t, ready, metrics };
        }),
      );
      try {
        for await (const s of c.bus.jsm.streams.list()) {
          if (s.config.name === "DEADLETTER") deadLetters = s.state.messages;
          for await (const ci of c.bus.jsm.consumers.list(s.config.name)) {
            if (!ci.config.durable_name) continue;
            consumers.push({
              stream: s.config.name,
              name: ci.name,
              pending: ci.num_pending,
              ackPending: ci.num_ack_pending,
              redelivered: ci.num_redelivered,
            });
          }
        }
      } catch (err) {
        // the page an operator opens during an outage: it says what is known instead of failing
        consumers.length = 0;
        deadLetters = null;
        natsError = `NATS does not answer: ${(err as Error).message}`;
      }
      const probed = await probes;
      const now = Date.now();
      const replicas: Status["replicas"] = probed.map(({ ready: r }) => ({
        service: r.service,
        url: r.url,
        reachable: r.reachable,
        ready: r.ready,
        checks: r.checks.map((x) => ({
          name: String(x.name),
          ok: x.ok === true,
          ...(x.detail ? { detail: String(x.detail) } : {}),
        })),
        error: r.error ?? null,
      }));

      // cameras: the directory (CameraStatusChanged) joined with the camera services' metrics
      const camMetrics = new Map<string, { processed: number; fps: number | null; state: string | null }>();
      for (const p of probed) {
        if (p.target.service !== "camera" || !p.metrics) continue;
        const ids = new Set(
          p.metrics.filter((s) => s.name.startsWith("persona_camera_") && s.labels.camera).map((s) => s.labels.camera as string),
        );
        for (const id of ids) {
          const processed = sum(p.metrics, "persona_camera_frames_total", { camera: id, outcome: "processed" }) ?? 0;
          const state = p.metrics.find((s) => s.name === "persona_camera_state" && s.labels.camera === id && s.value === 1)
            ?.labels.state;
          camMetrics.set(id, {
            processed,
            fps: rateOf(readings, `camera|${p.target.url}|${id}`, processed, now),
            state: state ?? null,
          });
        }
      }
      const cameraIds = [...new Set([...c.cameras.cameras.keys(), ...camMetrics.keys()])].sort();
      const cameras: Status["cameras"] = cameraIds.map((id) => {
        const v = c.cameras.cameras.get(id);
        const m = camMetrics.get(id);
        return {
          cameraId: id,
          status: v?.status ?? m?.state ?? "unknown",
          role: v?.role ?? null,
          lastChangeAt: v?.lastChangeAt ?? null,
          message: v?.message ?? "",
          fps: m?.fps ?? null,
          framesProcessed: m?.processed ?? null,
          metricsState: m?.state ?? null,
        };
      });

      const recognizers: Status["recognizers"] = probed
        .filter((p) => p.target.service === "recognizer")
        .map((p) => {
          const handled = p.metrics ? (sum(p.metrics, "persona_messages_handled_total") ?? 0) : null;
          return {
            url: p.target.url,
            reachable: p.metrics !== null,
            handled,
            perSecond: handled === null ? null : rateOf(readings, `recognizer|${p.target.url}`, handled, now),
          };
        });

      let storage: Status["storage"] = { kind: c.store.kind, bytes: null, error: null };
      try {
        if (c.store.sizeBytes) storage = { ...storage, bytes: await c.store.sizeBytes() };
        else storage = { ...storage, error: "this store does not tell its size" };
      } catch (err) {
        storage = { ...storage, error: (err as Error).message };
      }

      return {
        status: 200,
        body: { services: await c.readiness(), consumers, deadLetters, natsError, replicas, cameras, recognizers, storage },
      };
    },
  });
}
