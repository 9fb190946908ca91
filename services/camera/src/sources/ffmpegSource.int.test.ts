/**
 * The ffmpeg frame source against real ffmpeg: files (once, looped, fast, paced, downscaled), files that are not
 * videos, unreachable RTSP/HTTP URLs, an MJPEG stream that stops mid-way, a stream that stalls, a slow consumer.
 * Test media is made on the fly with ffmpeg's test source; HTTP/MJPEG servers are local.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import sharp from "sharp";
import { FfmpegFrameSource, type FfmpegSourceOptions } from "./ffmpegSource.ts";
import type { Frame, SourceStatus } from "./types.ts";

const ffmpegOk = spawnSync("ffmpeg", ["-version"]).status === 0;
const skip = ffmpegOk ? false : "ffmpeg is not installed (apt-get install ffmpeg)";

let dir = "";
let clip = "";

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "persona-camera-src-"));
  clip = join(dir, "clip.mp4");
  // 2 s of 320x240 at 25 fps = 50 frames
  const r = spawnSync("ffmpeg", [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=320x240:rate=25",
    "-t",
    "2",
    "-pix_fmt",
    "yuv420p",
    clip,
  ]);
  assert.equal(r.status, 0, r.stderr.toString());
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  frames: Frame[];
  statuses: (SourceStatus & { t: number })[];
  elapsedMs: number;
  source: FfmpegFrameSource;
}

/** Iterates a source to its end (or until `until` says stop), recording everything. */
async function run(
  options: Partial<FfmpegSourceOptions> & Pick<FfmpegSourceOptions, "kind" | "source">,
  until?: (r: Run) => boolean,
  perFrame?: () => Promise<void>,
): Promise<Run> {
  const source = new FfmpegFrameSource({ cameraId: "t", realtime: false, ...options });
  const t0 = Date.now();
  const r: Run = { frames: [], statuses: [], elapsedMs: 0, source };
  let stopping = false;
  for await (const ev of source.events()) {
    if (ev.type === "status") r.statuses.push({ ...ev.status, t: Date.now() - t0 });
    else {
      r.frames.push(ev.frame);
      await perFrame?.();
    }
    if (!stopping && until?.(r)) {
      stopping = true;
      void source.stop();
    }
  }
  r.elapsedMs = Date.now() - t0;
  return r;
}

const states = (r: Run) => r.statuses.map((s) => s.state);

/** An HTTP server answering every request with `handler`; closed after the test. */
async function httpServer(
  handler: (res: ServerResponse, n: number) => void,
): Promise<{ url: string; server: Server; requests: () => number }> {
  let n = 0;
  const server = createServer((_req, res) => handler(res, n++));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream.mjpg`, server, requests: () => n };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

const jpegs: Buffer[] = [];
async function jpegFrames(): Promise<Buffer[]> {
  if (jpegs.length === 0) {
    for (let i = 0; i < 4; i++) {
      jpegs.push(
        await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 60 * i, g: 120, b: 200 - 40 * i } } })
          .jpeg()
          .toBuffer(),
      );
    }
  }
  return jpegs;
}

/** Writes `count` MJPEG parts `gapMs` apart, then ends the response (or keeps it open when `hang`). */
async function serveMjpeg(res: ServerResponse, count: number, gapMs: number, hang = false): Promise<void> {
  const frames = await jpegFrames();
  res.writeHead(200, { "content-type": "multipart/x-mixed-replace; boundary=ffserver" });
  for (let i = 0; i < count && !res.destroyed; i++) {
    const f = frames[i % frames.length] as Buffer;
    res.write(`--ffserver\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.length}\r\n\r\n`);
    res.write(f);
    res.write("\r\n");
    await sleep(gapMs);
  }
  if (!hang) res.end();
}

/** A TCP port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const fastRetry = { backoff: { initialMs: 100, maxMs: 400, jitter: 0 } };

describe("FfmpegFrameSource", { skip }, () => {
  test("a file read as fast as possible, limited by ffmpeg to 5 fps of media time, then ended", async () => {
    const r = await run({ kind: "file", source: clip, detectFps: 5 });
    assert.deepEqual(states(r), ["starting", "live", "ended"]);
    // 50 frames at 25 fps: one per 0.2 s slot (ffmpeg rounds to the nearest slot, so the last frame may open an 11th)
    const n = r.frames.length;
    assert.ok(n === 10 || n === 11, `${n} frames`);
    assert.deepEqual(
      r.frames.map((f) => f.frameNo),
      Array.from({ length: n }, (_, i) => i),
    );
    const f = r.frames[0] as Frame;
    assert.deepEqual([f.width, f.height, f.data.length], [320, 240, 320 * 240 * 3]);
    assert.ok(f.data.buffer instanceof SharedArrayBuffer, "frames live in shared memory");
    assert.ok(
      f.data.some((v) => v > 0),
      "real pixels",
    );
    assert.deepEqual(r.source.counters, { decoded: n, droppedBehind: 0, delivered: n });
    // the frames really are 0.2 s apart: testsrc draws a running frame counter, so consecutive frames differ a lot
    assert.ok(r.frames[1]?.data.some((v, i) => v !== r.frames[0]?.data[i]));
    assert.match(r.statuses[1]?.message ?? "", /320x240, 25 fps source/);
    assert.equal(r.statuses[2]?.message, `end of file after ${n} frames`);
  });

  test("a source slower than the detection rate passes every frame, none duplicated", async () => {
    const slow = join(dir, "slow.mp4");
    // 3 s at 2 fps = 6 distinct frames
    const made = spawnSync("ffmpeg", [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=160x120:rate=2",
      "-t",
      "3",
      "-pix_fmt",
      "yuv420p",
      slow,
    ]);
    assert.equal(made.status, 0, made.stderr.toString());
    const r = await run({ kind: "file", source: slow, detectFps: 5 });
    assert.equal(r.frames.length, 6);
    for (let i = 1; i < r.frames.length; i++)
      assert.ok(
        r.frames[i]?.data.some((v, j) => v !== r.frames[i - 1]?.data[j]),
        `frame ${i} repeats frame ${i - 1}`,
      );
  });

  test("every frame when the rate is 0; a slow consumer of a fast file drops nothing (ffmpeg waits)", async () => {
    const r = await run({ kind: "file", source: clip, detectFps: 0 }, undefined, () => sleep(2));
    assert.equal(r.frames.length, 50);
    assert.equal(r.source.counters.droppedBehind, 0);
    assert.deepEqual(
      r.frames.map((f) => f.frameNo),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test("maxWidth downscales, keeping the aspect ratio", async () => {
    const r = await run({ kind: "file", source: clip, detectFps: 5, maxWidth: 160 });
    assert.deepEqual([r.frames[0]?.width, r.frames[0]?.height], [160, 120]);
  });

  test("realtime: a 2 s file takes about 2 s", async () => {
    const r = await run({ kind: "file", source: clip, detectFps: 5, realtime: true });
    assert.ok(r.frames.length >= 10 && r.frames.length <= 11, `${r.frames.length} frames`);
    const live = r.statuses.find((s) => s.state === "live")?.t ?? 0;
    const ended = r.statuses.find((s) => s.state === "ended")?.t ?? 0;
    assert.ok(ended - live >= 1500, `paced: ${ended - live} ms from first to last frame`);
  });

  test("a looped file goes on past its end with increasing frame numbers until stopped", async () => {
    const r = await run({ kind: "file", source: clip, detectFps: 0, loop: true }, (x) => x.frames.length >= 120);
    assert.deepEqual(states(r), ["starting", "live", "stopped"]);
    assert.ok(r.frames.length >= 120);
    const nos = r.frames.map((f) => f.frameNo);
    assert.ok(
      nos.every((n, i) => i === 0 || n > (nos[i - 1] as number)),
      "monotonic frame numbers across loops",
    );
    // the first frame of each replay says so (the runner ends the clip's tracks there); a replay is no status change
    const replays = r.frames.flatMap((f, i) => (f.replay ? [i] : []));
    assert.ok(replays.length >= 1, "the clip played again at least once");
    const firstRun = replays[0] as number;
    assert.ok(firstRun >= 20, `the first replay starts after the clip's ${firstRun} frames`);
    for (const [k, i] of replays.entries())
      if (k > 0) assert.equal(i - (replays[k - 1] as number), firstRun, "one clip per replay");
  });

  test("a file that is not a video fails for good, at once, saying so", async () => {
    const text = join(dir, "notes.mp4");
    writeFileSync(text, "this is not a video\n".repeat(100));
    const r = await run({ kind: "file", source: text, ...fastRetry });
    assert.deepEqual(states(r), ["starting", "failed"]);
    assert.match(r.statuses[1]?.message ?? "", /^not a playable video: .*Invalid data found when processing input/);
    const missing = await run({ kind: "file", source: join(dir, "nope.mp4"), ...fastRetry });
    assert.deepEqual(states(missing), ["starting", "failed"]);
    assert.match(missing.statuses[1]?.message ?? "", /^file not found/);
  });

  test("ffmpeg missing: failed with the reason", async () => {
    const r = await run({ kind: "file", source: clip, ffmpegPath: join(dir, "no-ffmpeg-here") });
    assert.deepEqual(states(r), ["starting", "failed"]);
    assert.match(r.statuses[1]?.message ?? "", /cannot run ffmpeg: .*ENOENT/);
  });

  for (const kind of ["rtsp", "http"] as const) {
    test(`unreachable ${kind.toUpperCase()} URL: reconnecting with growing backoff, then failed after maxAttempts`, async () => {
      const port = await closedPort();
      const url =
        kind === "rtsp" ? `rtsp://admin:secret@127.0.0.1:${port}/cam` : `http://admin:secret@127.0.0.1:${port}/cam.mjpg`;
      const r = await run({ kind, source: url, maxAttempts: 3, ...fastRetry });
      assert.deepEqual(states(r), ["starting", "reconnecting", "reconnecting", "reconnecting", "failed"]);
      assert.deepEqual(
        r.statuses.map((s) => s.attempt),
        [0, 1, 2, 3, 3],
      );
      for (const s of r.statuses.slice(1, 4))
        assert.match(s.message, /cannot open the stream: .*Connection refused; retry \d in 0\.[124] s/);
      assert.match(r.statuses[4]?.message ?? "", /gave up after 3 reconnect attempts/);
      assert.ok(
        r.statuses.every((s) => !s.message.includes("secret")),
        "credentials never appear",
      );
      // the announced delays double (no jitter here), and each retry really waits at least that long
      assert.deepEqual(
        r.statuses.slice(1, 4).map((s) => /retry \d in ([\d.]+) s/.exec(s.message)?.[1]),
        ["0.1", "0.2", "0.4"],
      );
      const gaps = [2, 3, 4].map((i) => (r.statuses[i]?.t ?? 0) - (r.statuses[i - 1]?.t ?? 0));
      for (const [i, g] of gaps.entries()) assert.ok(g >= 100 * 2 ** i, `gap ${i}: ${g} ms`);
    });
  }

  test("an MJPEG stream that stops mid-way: live, reconnecting, live again (attempts counted), until stopped", async () => {
    const srv = await httpServer((res) => void serveMjpeg(res, 6, 40));
    try {
      const r = await run(
        { kind: "http", source: srv.url, detectFps: 0, ...fastRetry },
        (x) => x.statuses.filter((s) => s.state === "live").length >= 3,
      );
      const s = states(r);
      assert.deepEqual(s.slice(0, 6), ["starting", "live", "reconnecting", "live", "reconnecting", "live"]);
      assert.equal(s.at(-1), "stopped");
      assert.deepEqual(
        r.statuses.slice(0, 6).map((x) => x.attempt),
        [0, 0, 1, 1, 2, 2],
      );
      assert.match(r.statuses[2]?.message ?? "", /stream ended after \d frames/);
      assert.ok(r.frames.length >= 12, `${r.frames.length} frames over three connections`);
      assert.deepEqual([r.frames[0]?.width, r.frames[0]?.height], [160, 120]);
      assert.ok(srv.requests() >= 3);
    } finally {
      await closeServer(srv.server);
    }
  });

  test("an MJPEG stream (no timestamps) is limited to the detection rate by arrival time", async () => {
    const srv = await httpServer((res) => void serveMjpeg(res, 100, 20));
    try {
      const r = await run({ kind: "http", source: srv.url, detectFps: 5, ...fastRetry }, (x) =>
        x.statuses.some((s) => s.state === "reconnecting"),
      );
      // ~2 s of frames at ~50 fps in (longer on a loaded box), ~5 fps out
      const live = r.statuses.find((s) => s.state === "live")?.t ?? 0;
      const end = r.statuses.find((s) => s.state === "reconnecting")?.t ?? 0;
      const fps = r.frames.length / ((end - live) / 1000);
      assert.ok(r.frames.length >= 5 && fps >= 2 && fps <= 7, `${r.frames.length} frames in ${end - live} ms`);
    } finally {
      await closeServer(srv.server);
    }
  });

  test("a stream that stalls (connection open, no data) is detected by the watchdog and reconnected", async () => {
    // frames for ~1.5 s (ffmpeg probes a few before its first output, slower on a loaded box), then silence
    const srv = await httpServer((res) => void serveMjpeg(res, 75, 20, true));
    try {
      const r = await run(
        { kind: "http", source: srv.url, detectFps: 0, stallTimeoutMs: 1500, ioTimeoutMs: 30_000, ...fastRetry },
        (x) => x.statuses.some((s) => s.state === "reconnecting"),
      );
      const reconnect = r.statuses.find((s) => s.state === "reconnecting");
      assert.match(reconnect?.message ?? "", /no data from the source for 1.5 s/);
      assert.ok(r.frames.length >= 1);
    } finally {
      await closeServer(srv.server);
    }
  });

  test("a server that answers but never sends a frame hits the startup timeout and is retried", async () => {
    const srv = await httpServer((res) => {
      res.writeHead(200, { "content-type": "multipart/x-mixed-replace; boundary=ffserver" });
      res.write("--ffserver\r\n");
    });
    try {
      const r = await run({ kind: "http", source: srv.url, startupTimeoutMs: 1000, ioTimeoutMs: 30_000, ...fastRetry }, (x) =>
        x.statuses.some((s) => s.state === "reconnecting"),
      );
      assert.match(
        r.statuses.find((s) => s.state === "reconnecting")?.message ?? "",
        /no frame from the source within 1 s of starting/,
      );
      assert.equal(r.frames.length, 0);
    } finally {
      await closeServer(srv.server);
    }
  });

  test("stop() during a backoff wait ends at once with 'stopped'", async () => {
    const port = await closedPort();
    const source = new FfmpegFrameSource({
      cameraId: "t",
      kind: "rtsp",
      source: `rtsp://127.0.0.1:${port}/x`,
      backoff: { initialMs: 60_000 },
    });
    const seen: string[] = [];
    const t0 = Date.now();
    for await (const ev of source.events()) {
      if (ev.type !== "status") continue;
      seen.push(ev.status.state);
      if (ev.status.state === "reconnecting") void source.stop();
    }
    assert.deepEqual(seen, ["starting", "reconnecting", "stopped"]);
    assert.ok(Date.now() - t0 < 10_000);
  });

  test("a live stream faster than its consumer: only the newest frame waits, the others are counted as dropped", async () => {
    const srv = await httpServer((res) => void serveMjpeg(res, 60, 20));
    try {
      const r = await run(
        { kind: "http", source: srv.url, detectFps: 0, ...fastRetry },
        (x) => x.frames.length >= 8,
        () => sleep(150),
      );
      const c = r.source.counters;
      assert.ok(c.droppedBehind > 0, JSON.stringify(c));
      assert.ok(c.delivered + c.droppedBehind <= c.decoded);
      const gaps = r.frames.slice(1).map((f, i) => f.frameNo - (r.frames[i] as Frame).frameNo);
      assert.ok(
        gaps.some((g) => g > 1),
        `frames skipped between deliveries: ${gaps}`,
      );
    } finally {
      await closeServer(srv.server);
    }
  });
});
