/**
 * The cameras this service runs, kept in step with the KV config at run time: the bootstrap list plus the managed
 * cameras of its group (managed.ts decides which), each with its own runner. A changed entry restarts its camera, a
 * disabled or removed one stops it (its open tracks end "camera-stopped"), a new one starts within a second, without a
 * restart of the service. Every HEALTH_REPORT_MS it writes each camera's state, fps and last error to the KV
 * `camera-health` bucket, where the console reads them.
 */
import { hostname } from "node:os";
import type { KV } from "@nats-io/kv";
import { type CameraHealth, type ManagedCamera, MANAGED_CAMERA_PREFIX, redactSecrets } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import type { FaceAnalyzer } from "./analysis.ts";
import type { CameraRunner, LiveSink } from "./cameraRunner.ts";
import type { CameraConfig } from "./config.ts";
import { type ManagedProblem, parseManagedEntry, resolveCameras, sameCamera } from "./managed.ts";
import type { Frame, SourceStatus } from "./sources/types.ts";

/** What the fleet needs to start one camera (the service builds the source and the runner). */
export type RunnerFactory = (camera: CameraConfig, analyzer: FaceAnalyzer, sink: LiveSink) => CameraRunner;

export interface FleetOptions {
  bootstrap: readonly CameraConfig[];
  group: string;
  filesDir: string;
  /** The KV `config` bucket (managed cameras) and `camera-health` (reports); null: bootstrap cameras only. */
  config: KV | null;
  health: KV | null;
  healthEveryMs: number;
  analyzer: () => Promise<FaceAnalyzer>;
  newRunner: RunnerFactory;
  /** The live view, which also learns of cameras coming and going. */
  live: LiveSink & { addCamera(c: CameraConfig): void; removeCamera(id: string): void };
  /** Camera ids whose recognitions label the live view. */
  labelled: Set<string>;
  log: Logger;
  now?: () => number;
}

interface Running {
  config: CameraConfig;
  runner: CameraRunner;
  done: Promise<void>;
}

interface Observed {
  lastFrameAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  reconnects: number;
  /** framesProcessed and time at the last report, for the fps. */
  reportedFrames: number;
  reportedAt: number;
  fps: number;
}

export class CameraFleet {
  readonly #o: FleetOptions;
  readonly #running = new Map<string, Running>();
  readonly #known = new Map<string, CameraConfig>();
  readonly #observed = new Map<string, Observed>();
  /** The managed entries by KV key, with the revision they came at. */
  readonly #entries = new Map<string, { revision: number; value: ManagedCamera | ManagedProblem | null }>();
  #problems: ManagedProblem[] = [];
  #chain: Promise<void> = Promise.resolve();
  #watch: { stop(): void } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** The first read of the managed entries is done: changes seen before it wait for it. */
  #loaded = false;
  readonly #now: () => number;
  readonly #reporter = `${hostname()}:${process.pid}`;

  constructor(o: FleetOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** The runners now running, in start order (after `stop`, the last ones, stopped). */
  get runners(): CameraRunner[] {
    return [...this.#running.values()].map((r) => r.runner);
  }

  /** Every camera known (running or disabled). */
  get cameras(): CameraConfig[] {
    return [...this.#known.values()];
  }

  get problems(): readonly ManagedProblem[] {
    return this.#problems;
  }

  /** Reads the managed entries, starts what they and the bootstrap list say, then follows changes. */
  async start(): Promise<void> {
    const kv = this.#o.config;
    if (kv) {
      // the watch starts first so that no change between the read and the watch is missed
      const watch = await kv.watch({ key: `${MANAGED_CAMERA_PREFIX}>`, include: "updates" });
      this.#watch = { stop: () => watch.stop() };
      void (async () => {
        for await (const e of watch) {
          this.#take(e.key, e.revision, e.operation === "PUT" && e.length > 0 ? e.string() : null);
          this.#schedule();
        }
      })().catch((err: unknown) => this.#o.log.error({ err }, "the managed cameras' watch ended"));
      for await (const key of await kv.keys(`${MANAGED_CAMERA_PREFIX}>`)) {
        const e = await kv.get(key);
        if (e) this.#take(key, e.revision, e.operation === "PUT" && e.length > 0 ? e.string() : null);
      }
    }
    this.#loaded = true;
    this.#schedule();
    await this.#chain;
    if (this.#o.health) {
      // reports go through the same chain as changes: a removed camera's report is never written after its deletion
      this.#timer = setInterval(() => this.#enqueue(() => this.#report()), this.#o.healthEveryMs);
      this.#timer.unref();
      this.#enqueue(() => this.#report());
      await this.#chain;
    }
  }

  /** Stops every camera (tracks end, events are published) and marks the reports. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watch?.stop();
    if (this.#timer) clearInterval(this.#timer);
    await this.#chain;
    // the runners stay listed (their last numbers) after the service stopped
    await Promise.all([...this.#running.keys()].map((id) => this.#stopOne(id, true)));
    await this.#finalReport().catch((err: unknown) => this.#o.log.warn({ err }, "camera health could not be written"));
  }

  /** Resolves when every change seen so far has been applied (tests). */
  settled(): Promise<void> {
    return this.#chain;
  }

  #take(key: string, revision: number, text: string | null): void {
    const prev = this.#entries.get(key);
    if (prev && prev.revision >= revision) return;
    this.#entries.set(key, { revision, value: text === null ? null : parseManagedEntry(key, text) });
  }

  #schedule(): void {
    if (this.#loaded) this.#enqueue(() => this.#apply());
  }

  /** Runs `step` after every step queued before it; a failure is logged and does not stop the chain. */
  #enqueue(step: () => Promise<void>): void {
    if (this.#stopped) return;
    this.#chain = this.#chain.then(step).catch((err: unknown) => {
      this.#o.log.warn({ err }, "managed cameras: a change or a health report failed");
    });
  }

  async #apply(): Promise<void> {
    if (this.#stopped) return;
    const entries = [...this.#entries.values()].flatMap((e) => (e.value ? [e.value] : []));
    const { cameras, problems } = resolveCameras(this.#o.bootstrap, entries, {
      group: this.#o.group,
      filesDir: this.#o.filesDir,
    });
    for (const p of problems) {
      if (!this.#problems.some((q) => q.cameraId === p.cameraId && q.message === p.message)) {
        this.#o.log.warn({ camera: p.cameraId }, `managed camera not run: ${p.message}`);
      }
    }
    this.#problems = problems;
    const wanted = new Map(cameras.map((c) => [c.id, c]));
    const gone = [...this.#known.keys()].filter((id) => !wanted.has(id));
    for (const [id, run] of this.#running) {
      const next = wanted.get(id);
      const unchanged = next?.enabled && sameCamera(run.config, next);
      if (!unchanged) {
        this.#o.log.info(
          { camera: id },
          !next ? "camera removed" : !next.enabled ? "camera disabled" : "camera changed: restarting it",
        );
        await this.#stopOne(id);
      }
    }
    this.#known.clear();
    for (const c of cameras) this.#known.set(c.id, c);
    for (const c of cameras) {
      if (c.enabled && !this.#running.has(c.id)) await this.#startOne(c);
    }
    for (const id of gone) {
      this.#observed.delete(id);
      await this.#o.health?.delete(id).catch(() => undefined);
    }
  }

  async #startOne(c: CameraConfig): Promise<void> {
    const analyzer = await this.#o.analyzer();
    const obs = this.#observedOf(c.id);
    const live = this.#o.live;
    const sink: LiveSink = {
      frame: (id: string, frame: Frame, tracks) => {
        obs.lastFrameAt = frame.capturedAt;
        live.frame(id, frame, tracks);
      },
      status: (id: string, status: SourceStatus) => {
        if (status.state === "reconnecting") obs.reconnects++;
        if (status.state === "reconnecting" || status.state === "failed") {
          obs.lastError = redactSecrets(status.message);
          obs.lastErrorAt = status.at;
        }
        live.status(id, status);
      },
    };
    live.addCamera(c);
    this.#o.labelled.add(c.id);
    const runner = this.#o.newRunner(c, analyzer, sink);
    const done = runner.start().catch((err: unknown) => this.#o.log.error({ err, camera: c.id }, "camera runner failed"));
    this.#running.set(c.id, { config: c, runner, done });
    if (c.origin === "managed") this.#o.log.info({ camera: c.id, kind: c.kind, role: c.role }, "managed camera started");
  }

  async #stopOne(id: string, keep = false): Promise<void> {
    const run = this.#running.get(id);
    if (!run) return;
    if (!keep) this.#running.delete(id);
    await run.runner.stop();
    await run.done;
    this.#o.labelled.delete(id);
    this.#o.live.removeCamera(id);
  }

  #observedOf(id: string): Observed {
    let o = this.#observed.get(id);
    if (!o) {
      o = {
        lastFrameAt: null,
        lastError: null,
        lastErrorAt: null,
        reconnects: 0,
        reportedFrames: 0,
        reportedAt: this.#now(),
        fps: 0,
      };
      this.#observed.set(id, o);
    }
    return o;
  }

  /** The health report of one camera as of now (updates the fps window). */
  #healthOf(c: CameraConfig, finalState?: CameraHealth["state"]): CameraHealth {
    const run = this.#running.get(c.id);
    const obs = this.#observedOf(c.id);
    const now = this.#now();
    const frames = run?.runner.stats.framesProcessed ?? obs.reportedFrames;
    const dt = (now - obs.reportedAt) / 1000;
    if (dt > 0.05) {
      obs.fps = run ? Math.max(0, (frames - obs.reportedFrames) / dt) : 0;
      obs.reportedFrames = frames;
      obs.reportedAt = now;
    }
    const status = run?.runner.lastStatus ?? null;
    const state: CameraHealth["state"] = finalState ?? (!c.enabled ? "disabled" : (status?.state ?? "starting"));
    return {
      cameraId: c.id,
      name: c.name,
      role: c.role,
      kind: c.kind,
      source: redactSecrets(c.source),
      origin: c.origin,
      group: c.group,
      enabled: c.enabled,
      zone: c.zone,
      detectFps: c.detectFps,
      state,
      message: !c.enabled
        ? "disabled in the console"
        : finalState
          ? "the camera service stopped"
          : redactSecrets(status?.message ?? ""),
      fps: Math.round(obs.fps * 100) / 100,
      framesProcessed: frames,
      lastFrameAt: obs.lastFrameAt === null ? null : new Date(obs.lastFrameAt).toISOString(),
      lastError: obs.lastError,
      lastErrorAt: obs.lastErrorAt === null ? null : new Date(obs.lastErrorAt).toISOString(),
      reconnects: obs.reconnects,
      reporter: this.#reporter,
      updatedAt: new Date(now).toISOString(),
      intervalMs: this.#o.healthEveryMs,
    };
  }

  async #report(): Promise<void> {
    const kv = this.#o.health;
    if (!kv) return;
    // trial cameras (persona watch) too: the console lists them while they report, and forgets them after
    for (const c of this.#known.values()) await kv.put(c.id, JSON.stringify(this.#healthOf(c)));
  }

  /** At the end: bootstrap cameras go with this process; managed ones stay listed, stopped. */
  async #finalReport(): Promise<void> {
    const kv = this.#o.health;
    if (!kv) return;
    for (const c of this.#known.values()) {
      if (c.origin === "bootstrap") await kv.delete(c.id);
      else await kv.put(c.id, JSON.stringify(this.#healthOf(c, "stopped")));
    }
  }
}
