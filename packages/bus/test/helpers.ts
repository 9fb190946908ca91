import { type AnyEnvelope, AnyEnvelopeSchema, type DataOf, type EnvelopeOf, type MessageType } from "@persona/contracts";
import { ServiceMetrics, createLogger } from "@persona/runtime";
import { Bus } from "../src/bus.ts";

/** A bus connected to a test server, quiet unless LOG_LEVEL says otherwise. */
export async function testBus(url: string, service = "test"): Promise<Bus> {
  const log = createLogger(service, process.env.LOG_LEVEL ?? "silent");
  const bus = await Bus.connect({ url, service, log, metrics: new ServiceMetrics(service), publishRetryMs: 60_000 });
  await bus.applyTopology();
  return bus;
}

/**
 * Every envelope on `stream` now, in order, read by direct get and parsed (a message that does not parse fails the
 * test); with `types`, only the envelopes of those types.
 */
export async function streamEnvelopes(bus: Bus, stream: string): Promise<AnyEnvelope[]>;
export async function streamEnvelopes<T extends MessageType>(bus: Bus, stream: string, ...types: T[]): Promise<EnvelopeOf<T>[]>;
export async function streamEnvelopes(bus: Bus, stream: string, ...types: MessageType[]): Promise<AnyEnvelope[]> {
  return (await streamEnvelopesFrom(bus, stream, 1)).filter((e) => types.length === 0 || types.includes(e.type));
}

/** Every envelope on `stream` from sequence `fromSeq` on, as `streamEnvelopes` reads them. */
export async function streamEnvelopesFrom(bus: Bus, stream: string, fromSeq: number): Promise<AnyEnvelope[]> {
  const info = await bus.jsm.streams.info(stream);
  const out: AnyEnvelope[] = [];
  for (let seq = Math.max(fromSeq, info.state.first_seq); seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m) out.push(AnyEnvelopeSchema.parse(m.json()));
  }
  return out;
}

/** A `PersonEnrolled` payload: no description, photos or sound, enrolled from the CLI, unless `more` says otherwise. */
export function personEnrolled(
  personId: string,
  name: string,
  more: Partial<DataOf<"PersonEnrolled">> = {},
): DataOf<"PersonEnrolled"> {
  return { personId, name, description: "", photos: [], sound: null, source: "cli", importKey: null, ...more };
}

/** A `CameraStatusChanged` payload: an entrance camera live at its first attempt, unless `more` says otherwise. */
export function cameraLive(cameraId: string, more: Partial<DataOf<"CameraStatusChanged">> = {}): DataOf<"CameraStatusChanged"> {
  return { cameraId, role: "entrance", status: "live", message: "", attempt: 0, source: "file", ...more };
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
