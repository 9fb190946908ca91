import { ServiceMetrics, createLogger } from "@persona/runtime";
import { Bus } from "../src/bus.ts";

/** A bus connected to a test server, quiet unless LOG_LEVEL says otherwise. */
export async function testBus(url: string, service = "test"): Promise<Bus> {
  const log = createLogger(service, process.env.LOG_LEVEL ?? "silent");
  const bus = await Bus.connect({ url, service, log, metrics: new ServiceMetrics(service), publishRetryMs: 60_000 });
  await bus.applyTopology();
  return bus;
}

export function trackEnded(cameraId: string, trackId: string) {
  return {
    cameraId,
    trackId,
    startedAt: "2026-01-01T10:00:00.000Z",
    endedAt: "2026-01-01T10:00:05.000Z",
    frames: 10,
    shots: 1,
    bestQuality: 0.5,
    reason: "left-view" as const,
  };
}
