/** The camera service's own Prometheus metrics, on the service's registry (served at /metrics). */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SourceCounters, SourceState } from "./sources/types.ts";

const STATES: readonly SourceState[] = ["starting", "live", "reconnecting", "failed", "ended", "stopped"];

export class CameraMetrics {
  readonly frames: Counter<"camera" | "outcome">;
  readonly detectSeconds: Histogram<"camera">;
  readonly faces: Counter<"camera">;
  readonly tracks: Counter<"camera" | "event">;
  readonly shots: Counter<"camera">;
  readonly publishFailures: Counter<"camera">;
  readonly publishPending: Gauge<"camera">;
  readonly state: Gauge<"camera" | "state">;
  readonly reconnects: Counter<"camera">;
  readonly liveClients: Gauge<"camera">;
  readonly liveFrames: Counter<"camera" | "outcome">;
  #lastSource = new Map<string, SourceCounters>();

  constructor(registry: Registry) {
    const registers = [registry];
    // per camera, and by the second label where there is one
    const counter = <L extends string = never>(name: string, help: string, label?: L) =>
      new Counter<"camera" | L>({ name, help, labelNames: label ? ["camera", label] : ["camera"], registers });
    const gauge = <L extends string = never>(name: string, help: string, label?: L) =>
      new Gauge<"camera" | L>({ name, help, labelNames: label ? ["camera", label] : ["camera"], registers });
    this.frames = counter(
      "persona_camera_frames_total",
      "Frames by outcome: decoded (read from ffmpeg at the detection rate), processed (detected), dropped_behind (the pipeline was busy: lost)",
      "outcome",
    );
    this.detectSeconds = new Histogram({
      name: "persona_camera_detect_seconds",
      help: "Detection + alignment + quality per frame",
      labelNames: ["camera"],
      buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1],
      registers,
    });
    this.faces = counter("persona_camera_faces_total", "Faces detected");
    this.tracks = counter("persona_camera_tracks_total", "Tracks started, confirmed, published (>= 1 shot) and ended", "event");
    this.shots = counter("persona_camera_shots_total", "FaceDetected published");
    this.publishFailures = counter(
      "persona_camera_publish_failures_total",
      "Events that could not be published within the retry window (lost)",
    );
    this.publishPending = gauge("persona_camera_publish_pending", "Events waiting to be published");
    this.state = gauge("persona_camera_state", "1 for the camera's current source state", "state");
    this.reconnects = counter("persona_camera_reconnects_total", "Reconnect attempts");
    this.liveClients = gauge("persona_camera_live_clients", "Clients watching the live MJPEG view");
    this.liveFrames = counter(
      "persona_camera_live_frames_total",
      "Live view frames: encoded, or dropped for a slow client",
      "outcome",
    );
  }

  setState(camera: string, state: SourceState): void {
    for (const s of STATES) this.state.set({ camera, state: s }, s === state ? 1 : 0);
  }

  /** Adds what a source counted since the last call. */
  syncSource(camera: string, c: SourceCounters): void {
    const last = this.#lastSource.get(camera) ?? { decoded: 0, droppedBehind: 0, delivered: 0 };
    const inc = (outcome: string, now: number, before: number) => {
      if (now > before) this.frames.inc({ camera, outcome }, now - before);
    };
    inc("decoded", c.decoded, last.decoded);
    inc("dropped_behind", c.droppedBehind, last.droppedBehind);
    this.#lastSource.set(camera, { ...c });
  }
}
