import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AnyEnvelope, makeEnvelope } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { DLIB_150, type RgbImage, scoreQuality } from "@persona/vision";
import sharp from "sharp";
import type { FaceAnalyzer, FaceObservation, FrameAnalysis } from "./analysis.ts";
import { CameraRunner, trackIdGenerator } from "./cameraRunner.ts";
import type { CameraConfig, PipelineSettings } from "./config.ts";
import type { EventBus } from "./events.ts";
import type { Frame, FrameSource, SourceCounters, SourceEvent, SourceState } from "./sources/types.ts";
import { squareFace } from "./testing/faces.ts";

const camera: CameraConfig = {
  id: "cam",
  name: "cam",
  source: "rtsp://u:pw@h/x",
  kind: "rtsp",
  role: "entrance",
  loop: false,
  realtime: true,
  detectFps: 5,
  maxWidth: null,
  zone: null,
  origin: "bootstrap",
  group: "default",
  enabled: true,
};
const settings: PipelineSettings = {
  tracker: { maxMissed: 2, minHits: 2 },
  bestShot: { intervalMs: 1000, minQuality: 0.3, maxShotsPerTrack: 20 },
  template: DLIB_150,
  cropJpegQuality: 90,
  publishMaxPending: 64,
  sceneCutThreshold: 0.25,
};
const log = createLogger("camera-test", "silent");

/** A scripted source: yields its events, then waits for stop(). */
class ScriptedSource implements FrameSource {
  readonly cameraId = "cam";
  state: SourceState = "starting";
  readonly counters: SourceCounters = { decoded: 0, droppedBehind: 0, delivered: 0 };
  #stop: (() => void) | null = null;
  #stopped = new Promise<void>((r) => (this.#stop = r));
  constructor(private readonly script: SourceEvent[]) {}
  async *events(): AsyncGenerator<SourceEvent> {
    for (const ev of this.script) {
      yield ev;
      if (ev.type === "status" && ["failed", "ended", "stopped"].includes(ev.status.state)) return;
    }
    await this.#stopped;
    yield status("stopped");
  }
  async stop(): Promise<void> {
    this.#stop?.();
  }
}

const status = (state: SourceState, attempt = 0): SourceEvent => ({
  type: "status",
  status: { state, message: state, attempt, at: 1000 },
});
const frame = (frameNo: number): SourceEvent => ({
  type: "frame",
  frame: { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, frameNo, capturedAt: 10_000 + frameNo * 200 },
});

const chip: RgbImage = { data: new Uint8Array(150 * 150 * 3).fill(128), width: 150, height: 150 };

function faceAt(cx: number, cy: number, q = 0.8, size = 80): FaceObservation {
  const quality = {
    ...scoreQuality({ faceSize: size, eyeDistance: 40, sharpness: 100, pose: { yaw: 0, pitch: 0, roll: 0 }, detectorScore: 0.9 }),
    score: q,
  };
  return {
    ...squareFace(cx, cy, size),
    score: 0.9,
    quality,
    gate: { pass: true },
    chip,
  };
}

/** Answers per frame number; frames not listed have no face. */
class ScriptedAnalyzer implements FaceAnalyzer {
  readonly threads = 0;
  calls: number[] = [];
  constructor(
    private readonly faces: (frameNo: number) => FaceObservation[],
    private readonly before?: (frameNo: number) => Promise<void>,
  ) {}
  async analyze(f: RgbImage): Promise<FrameAnalysis> {
    const frameNo = (f as Frame).frameNo;
    this.calls.push(frameNo);
    await this.before?.(frameNo);
    return { faces: this.faces(frameNo), detectMs: 1, alignMs: 0, runs: 1 };
  }
  async close(): Promise<void> {}
}

function recordingBus(publish: (e: AnyEnvelope) => Promise<void> = async () => undefined) {
  const events: AnyEnvelope[] = [];
  const bus: EventBus = {
    envelope: (type, data, meta) => makeEnvelope(type, data, { source: "camera", ...meta }),
    publish: async (env) => {
      await publish(env);
      events.push(env);
    },
  };
  return { bus, events };
}

const kinds = (events: AnyEnvelope[]) =>
  events.map((e) => {
    if (e.type === "CameraStatusChanged") return `status:${e.data.status}`;
    if (e.type === "FaceDetected") return `face:${e.data.trackId}#${e.data.shot}`;
    if (e.type === "FaceTrackEnded") return `ended:${e.data.trackId}:${e.data.reason}`;
    return e.type;
  });

function runner(source: FrameSource, analyzer: FaceAnalyzer, bus: EventBus, extra: Partial<PipelineSettings> = {}) {
  return new CameraRunner({
    camera,
    source,
    analyzer,
    bus,
    settings: { ...settings, ...extra },
    log,
    newTrackId: trackIdGenerator("cam", "run001"),
  });
}

describe("CameraRunner", () => {
  test("statuses, a confirmed track's first shot, its end when the source ends: in order", async () => {
    const source = new ScriptedSource([status("starting"), status("live"), frame(0), frame(1), frame(2), status("ended")]);
    const analyzer = new ScriptedAnalyzer((n) => [faceAt(100 + n, 100)]);
    const { bus, events } = recordingBus();
    const r = runner(source, analyzer, bus);
    await r.start();
    assert.deepEqual(kinds(events), [
      "status:starting",
      "status:live",
      "face:cam-run001-1#1",
      "ended:cam-run001-1:source-ended",
      "status:ended",
    ]);
    const shot = events[2];
    assert.ok(shot?.type === "FaceDetected");
    assert.equal(shot.data.frameNo, 0, "the best face since the start (first one, same quality)");
    assert.equal(shot.data.frameAt, new Date(10_000).toISOString());
    assert.ok(shot.data.crop.kind === "inline");
    const meta = await sharp(Buffer.from(shot.data.crop.base64, "base64")).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 150, 150]);
    const ended = events[3];
    assert.ok(ended?.type === "FaceTrackEnded");
    assert.deepEqual([ended.data.frames, ended.data.shots, ended.data.bestQuality], [3, 1, 0.8]);
    assert.equal(ended.correlationId, shot.correlationId, "a track's events share a correlation id");
    const live = events[1];
    assert.ok(live?.type === "CameraStatusChanged");
    assert.equal(live.data.source, "rtsp://u:***@h/x");
    assert.equal(r.stats.tracksPublished, 1);
  });

  test("a face that leaves ends its track as left-view; a one-frame detection publishes nothing", async () => {
    const script = [status("live"), ...[0, 1, 2, 3, 4, 5, 6, 7].map(frame), status("ended")];
    const analyzer = new ScriptedAnalyzer((n) => (n <= 2 ? [faceAt(100, 100)] : n === 6 ? [faceAt(400, 300)] : []));
    const { bus, events } = recordingBus();
    await runner(new ScriptedSource(script), analyzer, bus).start();
    assert.deepEqual(kinds(events), ["status:live", "face:cam-run001-1#1", "ended:cam-run001-1:left-view", "status:ended"]);
  });

  test("a scene cut ends the track at once: the face at the same place after the cut is a new track", async () => {
    // frames 0-3 dark, 4-7 bright (another picture); the same box throughout, as an edited clip can put it
    const shade = (n: number): SourceEvent => {
      const f = frame(n);
      if (f.type === "frame" && n >= 4) f.frame.data.fill(200);
      return f;
    };
    const script = [status("live"), ...[0, 1, 2, 3, 4, 5, 6, 7].map(shade), status("ended")];
    const analyzer = new ScriptedAnalyzer(() => [faceAt(100, 100)]);
    const { bus, events } = recordingBus();
    const r = runner(new ScriptedSource(script), analyzer, bus);
    await r.start();
    assert.deepEqual(kinds(events), [
      "status:live",
      "face:cam-run001-1#1",
      "ended:cam-run001-1:scene-cut",
      "face:cam-run001-2#1",
      "ended:cam-run001-2:source-ended",
      "status:ended",
    ]);
    assert.equal(r.stats.sceneCuts, 1);
    // with the detector off, one track spans both scenes
    const off = recordingBus();
    await runner(new ScriptedSource(script), new ScriptedAnalyzer(() => [faceAt(100, 100)]), off.bus, {
      sceneCutThreshold: 0,
    }).start();
    assert.equal(off.events.filter((e) => e.type === "FaceTrackEnded").length, 1);
  });

  test("a looped clip starting over ends its tracks (the demo camera keeps making new tracks instead of one endless one)", async () => {
    const replayAt = (n: number): SourceEvent => {
      const f = frame(n);
      return n === 4 && f.type === "frame" ? { type: "frame", frame: { ...f.frame, replay: true } } : f;
    };
    const script = [status("live"), ...[0, 1, 2, 3, 4, 5, 6, 7].map(replayAt), status("stopped")];
    const { bus, events } = recordingBus();
    await runner(new ScriptedSource(script), new ScriptedAnalyzer(() => [faceAt(100, 100)]), bus).start();
    assert.deepEqual(kinds(events), [
      "status:live",
      "face:cam-run001-1#1",
      "ended:cam-run001-1:source-ended",
      "face:cam-run001-2#1",
      "ended:cam-run001-2:camera-stopped",
      "status:stopped",
    ]);
  });

  test("FaceTrackEnded counts the shots really published: a lost shot is not waited for, a track with none ends silently", async () => {
    const script = [status("live"), frame(0), frame(1), frame(2), status("ended")];
    // NATS refuses the track's only shot (after Bus.publish's own retries)
    const { bus, events } = recordingBus(async (e) => {
      if (e.type === "FaceDetected") throw new Error("nats away");
    });
    const r = runner(new ScriptedSource(script), new ScriptedAnalyzer(() => [faceAt(100, 100)]), bus);
    await r.start();
    assert.deepEqual(kinds(events), ["status:live", "status:ended"], "no FaceTrackEnded promising a shot that never came");
    assert.equal(r.stats.publishFailures, 1);
  });

  test("a broken stream ends the open tracks before 'reconnecting'; the next connection starts new tracks", async () => {
    const script = [
      status("live"),
      frame(0),
      frame(1),
      status("reconnecting", 1),
      status("live", 1),
      frame(2),
      frame(3),
      status("ended", 1),
    ];
    const analyzer = new ScriptedAnalyzer(() => [faceAt(100, 100)]);
    const { bus, events } = recordingBus();
    await runner(new ScriptedSource(script), analyzer, bus).start();
    assert.deepEqual(kinds(events), [
      "status:live",
      "face:cam-run001-1#1",
      "ended:cam-run001-1:source-ended",
      "status:reconnecting",
      "status:live",
      "face:cam-run001-2#1",
      "ended:cam-run001-2:source-ended",
      "status:ended",
    ]);
  });

  test("stop(): open tracks end as camera-stopped, then the stopped status", async () => {
    const source = new ScriptedSource([status("live"), frame(0), frame(1)]);
    const { bus, events } = recordingBus();
    const r = runner(source, new ScriptedAnalyzer(() => [faceAt(100, 100)]), bus);
    const done = r.start();
    while (r.stats.framesProcessed < 2) await new Promise((res) => setImmediate(res));
    await r.stop();
    await done;
    assert.deepEqual(kinds(events), [
      "status:live",
      "face:cam-run001-1#1",
      "ended:cam-run001-1:camera-stopped",
      "status:stopped",
    ]);
  });

  test("a better face later in the interval is flushed when the track ends", async () => {
    const script = [status("live"), frame(0), frame(1), frame(2), status("ended")];
    const q = [0.5, 0.5, 0.9];
    const { bus, events } = recordingBus();
    await runner(new ScriptedSource(script), new ScriptedAnalyzer((n) => [faceAt(100, 100, q[n])]), bus).start();
    assert.deepEqual(kinds(events), [
      "status:live",
      "face:cam-run001-1#1",
      "face:cam-run001-1#2",
      "ended:cam-run001-1:source-ended",
      "status:ended",
    ]);
  });

  test("a failing analysis skips the frame and the loop goes on", async () => {
    const script = [status("live"), frame(0), frame(1), frame(2), status("ended")];
    const analyzer = new ScriptedAnalyzer(
      () => [faceAt(100, 100)],
      async (n) => {
        if (n === 1) throw new Error("onnx exploded");
      },
    );
    const { bus } = recordingBus();
    const r = runner(new ScriptedSource(script), analyzer, bus);
    await r.start();
    assert.equal(r.stats.analysisErrors, 1);
    assert.equal(r.stats.framesProcessed, 2);
  });

  test("when publishing falls behind, no new frame is analysed until the queue has room", async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const script = [status("live"), ...[0, 1, 2, 3, 4].map(frame), status("ended")];
    const analyzer = new ScriptedAnalyzer((n) => [faceAt(100 + 300 * (n % 2), 100)]);
    // the first publish (the 'live' status) hangs until released
    let first = true;
    const { bus, events } = recordingBus(async () => {
      if (first) {
        first = false;
        await blocked;
      }
    });
    const r = runner(new ScriptedSource(script), analyzer, bus, { publishMaxPending: 1 });
    const done = r.start();
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(analyzer.calls, [], "no frame analysed while an event waits");
    release();
    await done;
    assert.deepEqual(analyzer.calls, [0, 1, 2, 3, 4]);
    assert.equal(events.at(-1)?.type, "CameraStatusChanged");
  });
});
