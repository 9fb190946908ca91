/**
 * A frame source backed by an ffmpeg subprocess: decodes a file, an RTSP or HTTP/MJPEG stream or a webcam to raw RGB24
 * on a pipe, cuts the byte stream into frames, limits them to the detection rate, and reconnects with exponential
 * backoff when the source cannot be opened or stops. Every state change is an event in the same ordered stream as the
 * frames, so the consumer ends its tracks exactly between the last frame of a connection and the next.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type BackoffOptions, type Clock, backoffDelay, systemClock } from "../pacing.ts";
import { buildFfmpegArgs, redactSecrets, type SourceKind } from "./ffmpegArgs.ts";
import { FfmpegLog } from "./ffmpegLog.ts";
import { BufferPool, FrameAssembler } from "./frameAssembler.ts";
import { nextStep, type SessionOutcome } from "./sessionPolicy.ts";
import {
  type Frame,
  type FrameSource,
  type SourceCounters,
  type SourceEvent,
  type SourceState,
  type SourceStatus,
  TERMINAL_STATES,
} from "./types.ts";

export interface FfmpegSourceOptions {
  cameraId: string;
  kind: SourceKind;
  /** Path, file:// URL, rtsp://, http(s):// URL or /dev/videoN. */
  source: string;
  /** Files: play again from the start at the end. Default false. */
  loop?: boolean;
  /** Files: pace reading at the file's frame rate (as a live camera would). Default true. */
  realtime?: boolean;
  /** Downscale wider frames to this width (aspect kept). Default null (source size). */
  maxWidth?: number | null;
  /** Frames per second at most (the detection rate), enforced by ffmpeg before decoding to RGB. 0 = all. Default 5. */
  detectFps?: number;
  /**
   * What happens when the consumer is still busy with an earlier frame: "latest" keeps only the newest frame and counts
   * the others as dropped (live sources: latency stays low); "block" stops reading ffmpeg's pipe until the consumer
   * catches up (files read as fast as possible: every wanted frame is processed). Default: "block" for files that are
   * not realtime, "latest" otherwise.
   */
  dropPolicy?: "latest" | "block";
  /** The ffmpeg binary. Default "ffmpeg" (from PATH). */
  ffmpegPath?: string;
  /** Reconnect backoff. Default 1 s doubling to 30 s, +-20% jitter. */
  backoff?: BackoffOptions;
  /** Consecutive failed reconnects before giving up (`failed`). Default 0 = never give up. */
  maxAttempts?: number;
  /** A run that delivered frames for this long resets the attempt counter (ms). Default 30000. */
  healthyAfterMs?: number;
  /** No byte from ffmpeg for this long after frames have flowed: kill it and reconnect (ms). Default 15000. */
  stallTimeoutMs?: number;
  /** No byte at all this long after ffmpeg started (connecting, handshake, probing): kill it and retry (ms).
   * Default 30000 (ffmpeg's own I/O timeouts usually answer first). */
  startupTimeoutMs?: number;
  /** Socket I/O timeout given to ffmpeg for network sources (ms). Default 10000. */
  ioTimeoutMs?: number;
  /** Frames in SharedArrayBuffers (zero-copy to detector threads). Default true. */
  sharedMemory?: boolean;
  /** Largest frame accepted (bytes); bigger streams fail (set maxWidth). Default 64 MiB (~4K RGB is 25 MB). */
  maxFrameBytes?: number;
  clock?: Clock;
  random?: () => number;
}

/** Grace between SIGTERM and SIGKILL when stopping ffmpeg. */
const KILL_GRACE_MS = 3000;
/** Frames queued before reading pauses ("block" policy). */
const BLOCK_QUEUE_FRAMES = 2;
/** stdout bytes kept while waiting for ffmpeg to print the frame size. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** One ffmpeg run's state. */
interface Session {
  attempt: number;
  /** The frame number of the run's first frame. */
  startNo: number;
  log: FfmpegLog;
  /** Made once ffmpeg has printed the frame size; until then stdout is kept in `pending`. */
  assembler: FrameAssembler | null;
  pending: Buffer[];
  pendingBytes: number;
  /** Frames completed in this run. */
  frames: number;
  lastDataAt: number;
  gotData: boolean;
  watchdogFailure: SessionOutcome["failure"] | null;
  width: number;
  height: number;
  mediaStart: number | null;
  spawnError: string | null;
  settled: boolean;
}

export class FfmpegFrameSource implements FrameSource {
  readonly cameraId: string;
  readonly #o: Required<Omit<FfmpegSourceOptions, "backoff" | "maxWidth">> & {
    backoff: BackoffOptions;
    maxWidth: number | null;
  };
  #state: SourceState = "starting";
  #counters = { decoded: 0, droppedBehind: 0, delivered: 0 };
  #queue: SourceEvent[] = [];
  #queuedFrames = 0;
  #wake: (() => void) | null = null;
  #iterated = false;
  #stopping = false;
  #run: Promise<void> | null = null;
  #child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  #paused = false;
  #sleepAbort = new AbortController();
  #frameNo = 0;
  /** The clip ended and plays again (loop): the next frame is its first. */
  #replaying = false;
  #lastStatus: SourceStatus | null = null;

  constructor(options: FfmpegSourceOptions) {
    this.cameraId = options.cameraId;
    const realtime = options.realtime ?? true;
    this.#o = {
      cameraId: options.cameraId,
      kind: options.kind,
      source: options.source,
      loop: options.loop ?? false,
      realtime,
      maxWidth: options.maxWidth ?? null,
      detectFps: options.detectFps ?? 5,
      dropPolicy: options.dropPolicy ?? (options.kind === "file" && !realtime ? "block" : "latest"),
      ffmpegPath: options.ffmpegPath ?? "ffmpeg",
      backoff: options.backoff ?? {},
      maxAttempts: options.maxAttempts ?? 0,
      healthyAfterMs: options.healthyAfterMs ?? 30_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 15_000,
      startupTimeoutMs: options.startupTimeoutMs ?? 30_000,
      ioTimeoutMs: options.ioTimeoutMs ?? 10_000,
      sharedMemory: options.sharedMemory ?? true,
      maxFrameBytes: options.maxFrameBytes ?? 64 * 1024 * 1024,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
    };
  }

  get state(): SourceState {
    return this.#state;
  }

  get counters(): SourceCounters {
    return { ...this.#counters };
  }

  /** The last status reported (null before the first). */
  get lastStatus(): SourceStatus | null {
    return this.#lastStatus;
  }

  /** The source for logs and events: credentials in URLs replaced. */
  get redactedSource(): string {
    return redactSecrets(this.#o.source);
  }

  async *events(): AsyncGenerator<SourceEvent> {
    if (this.#iterated) throw new Error(`the events of camera ${this.cameraId}'s source can be iterated once`);
    this.#iterated = true;
    if (!this.#stopping) this.#run = this.#loop();
    let terminal = false;
    try {
      for (;;) {
        while (this.#queue.length === 0) await new Promise<void>((r) => (this.#wake = r));
        const ev = this.#queue.shift() as SourceEvent;
        if (ev.type === "frame") {
          this.#queuedFrames--;
          this.#counters.delivered++;
          if (this.#paused && this.#queuedFrames < BLOCK_QUEUE_FRAMES) this.#resume();
        }
        yield ev;
        if (ev.type === "status" && TERMINAL_STATES.has(ev.status.state)) {
          terminal = true;
          return;
        }
      }
    } finally {
      // the consumer stopped iterating early: stop the process too
      if (!terminal) await this.stop();
    }
  }

  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#sleepAbort.abort();
      this.#kill();
      if (this.#run === null) this.#emit("stopped", "stopped before it started", 0);
    }
    await this.#run;
  }

  // ------------------------------------------------------------------ the reconnect loop

  async #loop(): Promise<void> {
    const o = this.#o;
    this.#emit("starting", `opening ${o.kind} ${this.redactedSource}`, 0);
    let attempt = 0;
    try {
      for (;;) {
        if (this.#stopping) break;
        const started = o.clock.now();
        const outcome = await this.#session(attempt);
        if (this.#stopping) break;
        if (outcome.frames > 0 && o.clock.now() - started >= o.healthyAfterMs) attempt = 0;
        const step = nextStep(o, outcome, attempt + 1, o.maxAttempts);
        if (step.kind === "replay") {
          // a looped file is played again by a new ffmpeg run (not -stream_loop), so the runner knows where the
          // clip starts over: the people in view at its end are not the ones at its start
          this.#replaying = true;
          attempt = 0;
          continue;
        }
        if (step.kind === "ended") {
          this.#emit("ended", step.message, attempt);
          return;
        }
        if (step.kind === "failed") {
          this.#emit("failed", step.message, attempt);
          return;
        }
        attempt++;
        const delay = backoffDelay(attempt, o.backoff, o.random);
        this.#emit("reconnecting", `${step.message}; retry ${attempt} in ${(delay / 1000).toFixed(1)} s`, attempt);
        try {
          await sleep(delay, undefined, { signal: this.#sleepAbort.signal });
        } catch {
          // aborted by stop()
        }
      }
    } catch (err) {
      // a bug, not a source problem: report it as a terminal failure rather than hanging the consumer
      if (!this.#stopping) {
        this.#emit("failed", `internal error: ${err instanceof Error ? err.message : String(err)}`, attempt);
        return;
      }
    }
    this.#emit("stopped", "camera stopped", attempt);
  }

  // ------------------------------------------------------------------ one ffmpeg run

  #session(attempt: number): Promise<SessionOutcome> {
    const o = this.#o;
    const args = buildFfmpegArgs({
      kind: o.kind,
      source: o.source,
      realtime: o.realtime,
      maxWidth: o.maxWidth,
      ioTimeoutMs: o.ioTimeoutMs,
      detectFps: o.detectFps,
    });
    const s: Session = {
      attempt,
      startNo: this.#frameNo,
      log: new FfmpegLog(),
      assembler: null,
      pending: [],
      pendingBytes: 0,
      frames: 0,
      lastDataAt: o.clock.now(),
      gotData: false,
      watchdogFailure: null,
      width: 0,
      height: 0,
      mediaStart: null,
      spawnError: null,
      settled: false,
    };

    return new Promise<SessionOutcome>((resolve) => {
      let child: ChildProcessByStdio<null, Readable, Readable>;
      try {
        child = spawn(o.ffmpegPath, args, { stdio: ["ignore", "pipe", "pipe"] });
      } catch (err) {
        resolve({
          exitCode: null,
          spawnError: err instanceof Error ? err.message : String(err),
          frames: 0,
          failure: { kind: "unknown", message: "spawn failed" },
        });
        return;
      }
      this.#child = child;
      this.#paused = false;

      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (text: string) => {
        s.log.push(text);
        if (s.assembler === null) this.#makeAssembler(s);
      });
      child.stdout.on("data", (chunk: Buffer) => this.#onStdout(s, chunk));
      const watchdog = this.#startWatchdog(s);

      const finish = (code: number | null) => {
        if (s.settled) return;
        s.settled = true;
        clearInterval(watchdog);
        s.log.end();
        if (this.#child === child) this.#child = null;
        // frame numbers go on where this run stopped (a truncated last frame is simply not delivered)
        this.#frameNo = s.startNo + (s.assembler?.framesStarted ?? 0);
        const failure = s.watchdogFailure ?? s.log.failure();
        resolve({ exitCode: code, spawnError: s.spawnError, frames: s.frames, failure });
      };
      child.once("error", (err) => {
        // spawn failures (ENOENT, EACCES) arrive here, without a process
        s.spawnError = err.message;
        if (child.pid === undefined) finish(null);
      });
      child.once("close", (code) => finish(code));
    });
  }

  /** Ends the session with this failure (unless the watchdog saw one first). */
  #fail(s: Session, message: string): void {
    if (s.watchdogFailure === null) s.watchdogFailure = { kind: "unknown", message };
    this.#kill();
  }

  #onStdout(s: Session, chunk: Buffer): void {
    s.lastDataAt = this.#o.clock.now();
    s.gotData = true;
    if (this.#stopping || s.settled) return;
    if (s.assembler === null) this.#makeAssembler(s);
    if (s.assembler === null) {
      s.pending.push(chunk);
      s.pendingBytes += chunk.length;
      if (s.pendingBytes > MAX_PENDING_BYTES) this.#fail(s, "ffmpeg wrote frames but never printed their size");
      return;
    }
    this.#feed(s, s.assembler, chunk);
  }

  /** Once ffmpeg has printed the frame size: the session's frame assembler, fed what stdout gave before. */
  #makeAssembler(s: Session): void {
    const o = this.#o;
    const size = s.log.outputSize;
    if (size === null || s.assembler !== null) return;
    s.width = size.width;
    s.height = size.height;
    const bytes = s.width * s.height * 3;
    if (s.width <= 0 || s.height <= 0 || bytes > o.maxFrameBytes) {
      this.#fail(s, `frame size ${s.width}x${s.height} is beyond the limit of ${o.maxFrameBytes} bytes (set maxWidth)`);
      return;
    }
    const p = new BufferPool(bytes, o.sharedMemory);
    const fps = s.log.inputFps;
    const assembler = new FrameAssembler(bytes, {
      begin: () => {
        this.#counters.decoded++;
        return p.acquire();
      },
      complete: (buffer, index) => this.#frameComplete(s, buffer, index, p, fps),
    });
    s.assembler = assembler;
    const queued = s.pending;
    s.pending = [];
    s.pendingBytes = 0;
    for (const chunk of queued) this.#feed(s, assembler, chunk);
  }

  /** A whole frame: timed, marked when a looped clip starts over, and queued ("live" before the first). */
  #frameComplete(s: Session, buffer: Uint8Array, index: number, p: BufferPool, fps: number | null): void {
    const o = this.#o;
    s.frames++;
    const frameNo = s.startNo + index;
    // a file read faster than real time is timed by its media clock (frame index at the detection rate),
    // so tracking and best-shot intervals see the clip's own time, whatever the processing speed
    const mediaClock = o.kind === "file" && !o.realtime && o.detectFps > 0;
    if (s.mediaStart === null) s.mediaStart = o.clock.now();
    const capturedAt = mediaClock ? s.mediaStart + (index * 1000) / o.detectFps : o.clock.now();
    const replay = s.frames === 1 && this.#replaying;
    if (replay) this.#replaying = false;
    const { width, height } = s;
    const frame: Frame = { data: buffer, width, height, frameNo, capturedAt, ...(replay ? { replay } : {}) };
    if (s.frames === 1 && !replay) {
      const rate = fps !== null && o.kind !== "http" ? `, ${fps} fps source` : "";
      this.#emit("live", `${width}x${height}${rate}, detecting at up to ${o.detectFps || "every"} fps`, s.attempt);
    }
    this.#pushFrame(frame, p);
  }

  /** Kills ffmpeg when no byte came for too long (startup or stall), except while reading is paused. */
  #startWatchdog(s: Session): NodeJS.Timeout {
    const o = this.#o;
    return setInterval(
      () => {
        if (this.#paused) {
          s.lastDataAt = o.clock.now();
          return;
        }
        const limit = s.gotData ? o.stallTimeoutMs : o.startupTimeoutMs;
        if (o.clock.now() - s.lastDataAt > limit) {
          const secs = Number((limit / 1000).toFixed(1));
          s.watchdogFailure = {
            kind: "stalled",
            message: s.gotData
              ? `no data from the source for ${secs} s`
              : `no frame from the source within ${secs} s of starting`,
          };
          this.#kill();
        }
      },
      Math.max(50, Math.min(1000, Math.min(o.stallTimeoutMs, o.startupTimeoutMs) / 4)),
    );
  }

  #feed(s: Session, assembler: FrameAssembler, chunk: Buffer): void {
    try {
      assembler.push(chunk);
    } catch (err) {
      this.#fail(s, `cannot assemble frames: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // ------------------------------------------------------------------ the event queue

  #pushFrame(frame: Frame, pool: BufferPool): void {
    if (this.#o.dropPolicy === "latest") {
      const last = this.#queue.at(-1);
      if (last?.type === "frame") {
        // the consumer has not taken the previous frame yet: replace it (nobody saw it, its buffer is reused)
        this.#queue[this.#queue.length - 1] = { type: "frame", frame };
        this.#counters.droppedBehind++;
        pool.release(last.frame.data);
        return;
      }
    }
    this.#queue.push({ type: "frame", frame });
    this.#queuedFrames++;
    if (this.#o.dropPolicy === "block" && this.#queuedFrames >= BLOCK_QUEUE_FRAMES) this.#pause();
    this.#notify();
  }

  #emit(state: SourceState, message: string, attempt: number): void {
    const status: SourceStatus = { state, message: redactSecrets(message), attempt, at: this.#o.clock.now() };
    this.#state = state;
    this.#lastStatus = status;
    this.#queue.push({ type: "status", status });
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #pause(): void {
    if (this.#paused || this.#child === null) return;
    this.#paused = true;
    this.#child.stdout.pause();
  }

  #resume(): void {
    this.#paused = false;
    this.#child?.stdout.resume();
  }

  /** SIGTERM, then SIGKILL after a grace period; the pipe is drained so a blocked ffmpeg can see the signal. */
  #kill(): void {
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    this.#paused = false;
    child.stdout.resume();
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }, KILL_GRACE_MS);
    timer.unref();
    child.once("close", () => clearTimeout(timer));
  }
}
