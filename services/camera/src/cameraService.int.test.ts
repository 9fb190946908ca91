/**
 * The camera service end to end: a real nats-server, the real BlazeFace model on detector worker threads, real videos
 * from the shared data sets (`PERSONA_DATASETS` or ../shared/datasets), ffmpeg. Skipped, with the reason, when one of
 * them is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Bus } from "@persona/bus";
import {
  type AnyEnvelope,
  AnyEnvelopeSchema,
  CameraHealth,
  type EnvelopeOf,
  makeEnvelope,
  managedCameraKey,
} from "@persona/contracts";
import { NATS_SERVER_BIN, ServiceMetrics, createLogger, datasetsDir, loadConfig } from "@persona/runtime";
import { type NatsServerHandle, startNatsServer, waitFor } from "@persona/testing";
import { detectorChoice, MODEL_FILES, resolveModelPath } from "@persona/vision";
import sharp from "sharp";
import { type CameraService, startCameraService } from "./cameraService.ts";
import { configSchema } from "./config.ts";
import { CameraMetrics } from "./metrics.ts";

const videos = join(datasetsDir(), "videos");
const CLM = join(videos, "clm_multi_face.avi");
const YTC = join(videos, "ytc_0294_02_004_angelina_jolie.avi");
const skip = !existsSync(resolveModelPath(MODEL_FILES.blazeface))
  ? `BlazeFace model not built (${resolveModelPath(MODEL_FILES.blazeface)}; run make models)`
  : !existsSync(CLM) || !existsSync(YTC)
    ? `shared videos not found in ${videos} (set PERSONA_DATASETS)`
    : !existsSync(NATS_SERVER_BIN)
      ? `nats-server not found at ${NATS_SERVER_BIN}`
      : spawnSync("ffmpeg", ["-version"]).status !== 0
        ? "ffmpeg is not installed"
        : false;

let nats: NatsServerHandle;
let bus: Bus;
let dir = "";
const log = createLogger("camera", process.env.LOG_LEVEL ?? "silent");

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "persona-camera-"));
  nats = await startNatsServer();
  bus = await Bus.connect({ url: nats.url, service: "camera", log, metrics: new ServiceMetrics("camera") });
  await bus.applyTopology();
});
after(async () => {
  await bus?.close();
  await nats?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every camera event published from now on, in arrival order. */
function record(): { events: AnyEnvelope[]; stop: () => void } {
  const events: AnyEnvelope[] = [];
  const subs = ["detections.>", "system.camera.>"].map((subject) =>
    bus.nc.subscribe(subject, {
      callback: (_err, msg) => {
        events.push(AnyEnvelopeSchema.parse(msg.json()));
      },
    }),
  );
  return {
    events,
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}

async function start(
  env: Record<string, string>,
  extra: Partial<Parameters<typeof startCameraService>[0]> = {},
): Promise<CameraService> {
  const config = loadConfig(configSchema, { LIVE_PORT: "0", ...env });
  return startCameraService({ config, bus, log, metrics: new CameraMetrics(new ServiceMetrics("camera").registry), ...extra });
}

type Face = EnvelopeOf<"FaceDetected">;
type Ended = EnvelopeOf<"FaceTrackEnded">;
const faces = (evs: AnyEnvelope[], cam: string) =>
  evs.filter((e): e is Face => e.type === "FaceDetected" && e.data.cameraId === cam);
const ends = (evs: AnyEnvelope[], cam: string) =>
  evs.filter((e): e is Ended => e.type === "FaceTrackEnded" && e.data.cameraId === cam);
const statuses = (evs: AnyEnvelope[], cam: string) =>
  evs.flatMap((e) => (e.type === "CameraStatusChanged" && e.data.cameraId === cam ? [e.data] : []));

async function cropSize(f: Face): Promise<[number, number]> {
  assert.equal(f.data.crop.kind, "inline");
  if (f.data.crop.kind !== "inline") throw new Error("stored crop");
  const meta = await sharp(Buffer.from(f.data.crop.base64, "base64")).metadata();
  assert.equal(meta.format, "jpeg");
  return [meta.width ?? 0, meta.height ?? 0];
}

/** Runs one recorded clip through a service to its end; returns its events and the runner's numbers. */
async function runClip(id: string, file: string, env: Record<string, string> = {}) {
  const rec = record();
  const service = await start({ CAMERAS: JSON.stringify([{ id, source: file, role: "classroom", realtime: false }]), ...env });
  const t0 = performance.now();
  await service.runners[0]?.start();
  const ms = performance.now() - t0;
  await bus.nc.flush();
  await service.stop();
  await bus.nc.flush();
  rec.stop();
  const stats = { ...(service.runners[0]?.stats ?? assert.fail("no runner")) };
  return { events: rec.events, stats, ms };
}

/** Checks every track's shots (1..n, each with a chip-size JPEG) and its single FaceTrackEnded after them. */
async function checkTracks(
  events: AnyEnvelope[],
  cam: string,
  chip: number,
): Promise<Map<string, { shots: number; frames: number }>> {
  const tracks = new Map<string, { shots: number; frames: number }>();
  for (const f of faces(events, cam)) {
    const t = tracks.get(f.data.trackId) ?? { shots: 0, frames: 0 };
    assert.equal(f.data.shot, t.shots + 1, `shots of ${f.data.trackId} are numbered in order`);
    t.shots++;
    tracks.set(f.data.trackId, t);
    assert.deepEqual(await cropSize(f), [chip, chip]);
    assert.ok(f.data.quality.score >= 0.3);
  }
  const ended = ends(events, cam);
  assert.deepEqual(new Set(ended.map((e) => e.data.trackId)), new Set(tracks.keys()), "every published track ends once");
  assert.equal(ended.length, tracks.size);
  for (const e of ended) {
    const t = tracks.get(e.data.trackId) as { shots: number; frames: number };
    assert.equal(e.data.shots, t.shots);
    t.frames = e.data.frames;
    const lastShot = events.findLastIndex((x) => x.type === "FaceDetected" && x.data.trackId === e.data.trackId);
    assert.ok(events.indexOf(e) > lastShot, "the end comes after the track's shots");
    assert.ok(/^[A-Za-z0-9_-]{1,64}$/.test(e.data.trackId));
  }
  return tracks;
}

describe("camera service", { skip }, () => {
  test("clm_multi_face (3 people, 23 s): stable tracks, no flood of track ids", async (t) => {
    const { events, stats, ms } = await runClip("clm", CLM);
    assert.deepEqual(
      statuses(events, "clm").map((s) => s.status),
      ["starting", "live", "ended"],
    );
    const tracks = await checkTracks(events, "clm", 112);
    const frames = stats.framesProcessed;
    t.diagnostic(
      `clm_multi_face: ${frames} frames (5 fps of 702) in ${(ms / 1000).toFixed(1)} s = ${((frames * 1000) / ms).toFixed(1)} frames/s; ` +
        `detection+alignment ${(stats.detectMsTotal / frames).toFixed(1)} ms/frame; ${stats.facesDetected} faces; ` +
        `tracks started ${stats.tracksStarted}, confirmed ${stats.tracksConfirmed}, published ${tracks.size}; shots ${stats.shotsPublished}`,
    );
    assert.ok(frames >= 117 && frames <= 118, `${frames} frames: 23.4 s at 5 fps`);
    assert.ok(stats.facesDetected >= 300, `${stats.facesDetected} faces (3 people in 117 frames)`);
    assert.ok(tracks.size >= 3, `at least one track per person (${tracks.size})`);
    assert.ok(tracks.size <= 9, `no flood: ${tracks.size} published tracks for 3 people (bound 3x)`);
    assert.ok(stats.tracksStarted <= 12, `${stats.tracksStarted} tracks started in all`);
    // the person in front stays one track the whole clip
    const longest = Math.max(...[...tracks.values()].map((x) => x.frames));
    assert.ok(longest >= frames - 8, `longest track ${longest} of ${frames} frames`);
  });

  test("a ytc clip: one main track, published fast, crops of the default model's chip size", async (t) => {
    const { events, stats, ms } = await runClip("ytc", YTC);
    const tracks = await checkTracks(events, "ytc", 112);
    const frames = stats.framesProcessed;
    t.diagnostic(
      `ytc_0294 (320x240, 279 frames): ${frames} frames in ${(ms / 1000).toFixed(1)} s = ${((frames * 1000) / ms).toFixed(1)} frames/s; ` +
        `${(stats.detectMsTotal / frames).toFixed(1)} ms/frame; tracks ${tracks.size}; shots ${stats.shotsPublished}`,
    );
    assert.equal(tracks.size, 1);
    const [main] = [...tracks.values()];
    assert.ok((main?.frames ?? 0) >= frames * 0.9, `main track covers ${main?.frames}/${frames} frames`);
    const first = faces(events, "ytc")[0] as Face;
    assert.ok(
      first.data.frameNo <= 5,
      `first shot from frame ${first.data.frameNo} (published as soon as the track is confirmed)`,
    );
    assert.deepEqual(first.data.frameSize, { width: 320, height: 240 });
    // both eyes, nose, mouth centre, and the detector's two extras (YuNet's mouth corners, BlazeFace's ears)
    assert.equal(first.data.keypoints.length, 6);
    assert.equal(
      first.data.alignment,
      detectorChoice().kind === "yunet" ? "keypoints5" : "keypoints",
      "ArcFace chips are aligned from the detector's keypoints (YuNet's five with mouth corners)",
    );
    assert.equal(ends(events, "ytc")[0]?.data.reason, "source-ended");
  });

  test("an edited clip (Angelina Jolie cut to Gloria Estefan at the same place): the track ends at the cut", async () => {
    const joined = join(dir, "cut.avi");
    const gloria = join(videos, "ytc_0686_02_003_gloria_estefan.avi");
    const ff = spawnSync("ffmpeg", [
      ...["-v", "error", "-y", "-i", YTC, "-i", gloria],
      ...[
        "-filter_complex",
        "[0:v]scale=320:240,setsar=1,trim=0:4,setpts=PTS-STARTPTS[a];[1:v]scale=320:240,setsar=1,trim=0:4,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]",
      ],
      ...["-map", "[v]", "-c:v", "mpeg4", "-q:v", "3", joined],
    ]);
    assert.equal(ff.status, 0, ff.stderr?.toString());
    /** Tracks with shots from both sides of the join (4 s at 5 fps: frames 0-19, then 20-39). */
    const spanning = (events: AnyEnvelope[], cam: string) => {
      const sides = new Map<string, Set<boolean>>();
      for (const f of faces(events, cam)) {
        const s = sides.get(f.data.trackId) ?? new Set<boolean>();
        s.add(f.data.frameNo >= 20);
        sides.set(f.data.trackId, s);
      }
      return { tracks: sides.size, spanning: [...sides].filter(([, s]) => s.size === 2).map(([t]) => t) };
    };
    // without the cut detector the face at the same place carries her track onto Gloria Estefan
    const before = await runClip("nocut", joined, { SCENE_CUT_THRESHOLD: "0" });
    assert.equal(spanning(before.events, "nocut").spanning.length, 1, "the geometry alone joins the two people");
    const { events, stats } = await runClip("cut", joined);
    const ended = ends(events, "cut");
    assert.ok(
      ended.some((e) => e.data.reason === "scene-cut"),
      `a track ended at the cut (${ended.map((e) => e.data.reason)})`,
    );
    assert.equal(stats.sceneCuts, 1);
    const after = spanning(events, "cut");
    assert.ok(after.tracks >= 2, "shots on both sides of the cut");
    assert.deepEqual(after.spanning, [], "no track has shots of both people");
  });

  test("CHIP_TEMPLATE=dlib150 sends 150 px chips aligned from the 68-point landmarks", async () => {
    const { events } = await runClip("ytc150", YTC, { CHIP_TEMPLATE: "dlib150" });
    const f = faces(events, "ytc150")[0];
    assert.ok(f);
    assert.deepEqual(await cropSize(f), [150, 150]);
    assert.equal(f.data.alignment, "landmarks68", "dlib chips are aligned from landmarks by default");
  });

  test("live view, names from FaceRecognized, bad sources next to a good one, clean stop", async (t) => {
    const notVideo = join(dir, "notes.avi");
    writeFileSync(notVideo, "not a video\n");
    const rec = record();
    const service = await start(
      {
        CAMERAS: JSON.stringify([
          { id: "desk", name: "Desk", source: YTC, role: "desk", loop: true, realtime: true },
          { id: "bad", source: notVideo, role: "perimeter" },
          { id: "gone", source: "rtsp://127.0.0.1:9/none", role: "entrance" },
        ]),
      },
      { sourceOptions: { backoff: { initialMs: 100, maxMs: 400, jitter: 0 } } },
    );
    const base = `http://127.0.0.1:${service.livePort}`;
    try {
      // the list
      const list = (await (await fetch(`${base}/cameras`)).json()) as { id: string; live: string }[];
      assert.deepEqual(
        list.map((c) => c.id),
        ["desk", "bad", "gone"],
      );
      assert.equal(list[0]?.live, "/cameras/desk/live.mjpeg");
      assert.equal((await fetch(`${base}/cameras/nope/live.mjpeg`)).status, 404);

      // bad sources: clear states, retries with backoff, nothing crashes
      await waitFor(() => statuses(rec.events, "bad").some((s) => s.status === "failed"), {
        timeoutMs: 15_000,
        message: "bad fails",
      });
      assert.match(statuses(rec.events, "bad").at(-1)?.message ?? "", /not a playable video/);
      await waitFor(() => statuses(rec.events, "gone").filter((s) => s.status === "reconnecting").length >= 2, {
        timeoutMs: 15_000,
        message: "gone reconnects",
      });
      assert.deepEqual(
        statuses(rec.events, "gone")
          .slice(1, 3)
          .map((s) => [s.status, s.attempt]),
        [
          ["reconnecting", 1],
          ["reconnecting", 2],
        ],
      );

      // the live MJPEG stream: read two parts, each a JPEG of the frame size
      await waitFor(() => faces(rec.events, "desk").length > 0, { timeoutMs: 20_000, message: "desk publishes a face" });
      const t0 = performance.now();
      const parts = await readMjpegParts(`${base}/cameras/desk/live.mjpeg`, 2);
      t.diagnostic(`live view: 2 MJPEG parts in ${(performance.now() - t0).toFixed(0)} ms, ${parts.map((p) => p.length)} bytes`);
      for (const p of parts) {
        const meta = await sharp(p).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 320, 240]);
      }
      const snap = await fetch(`${base}/cameras/desk/snapshot.jpg`);
      assert.equal(snap.headers.get("content-type"), "image/jpeg");
      assert.equal((await sharp(Buffer.from(await snap.arrayBuffer())).metadata()).width, 320);
      assert.equal((await fetch(`${base}/cameras/bad/snapshot.jpg`)).status, 503);
      const desk = (await (await fetch(`${base}/cameras/desk`)).json()) as { state: string; stats: { framesProcessed: number } };
      assert.equal(desk.state, "live");
      assert.ok(desk.stats.framesProcessed > 0);

      // a recognition names the track in the live view
      const shot = faces(rec.events, "desk")[0] as Face;
      await bus.publish(recognized(shot, "Angelina Jolie"));
      await waitFor(() => service.names.get(shot.data.trackId)?.label === "Angelina Jolie", { message: "name arrives" });

      assert.ok((await service.checks[0]?.check())?.ok, "ready while one camera works");
    } finally {
      await service.stop();
      await bus.nc.flush();
      rec.stop();
    }
    // stop: the open desk track ends as camera-stopped; every camera says stopped (except the failed one)
    assert.ok(ends(rec.events, "desk").some((e) => e.data.reason === "camera-stopped"));
    assert.equal(statuses(rec.events, "desk").at(-1)?.status, "stopped");
    assert.equal(statuses(rec.events, "gone").at(-1)?.status, "stopped");
    assert.equal(statuses(rec.events, "bad").at(-1)?.status, "failed");
  });
});

describe("cameras managed at run time (KV config)", { skip }, () => {
  const health = async (id: string): Promise<CameraHealth | null> => {
    const e = await (await bus.kv("camera-health")).get(id);
    return e && e.operation === "PUT" && e.length > 0 ? CameraHealth.parse(e.json()) : null;
  };

  test("added, disabled, re-enabled with a zone, and removed without a restart; CAMERA_GROUP=off ignores them", async (t) => {
    const config = await bus.kv("config");
    const rec = record();
    const env = { MANAGED_FILES_DIR: videos, HEALTH_REPORT_MS: "300" };
    const service = await start(env);
    const outsider = await start({ ...env, CAMERA_GROUP: "off" });
    try {
      assert.equal(service.runners.length, 0, "no cameras yet");
      const t0 = performance.now();
      const entry = { id: "added", name: "Added in the console", source: "clm_multi_face.avi", role: "desk", loop: true };
      await config.put(managedCameraKey("added"), JSON.stringify(entry));
      await waitFor(() => faces(rec.events, "added").length > 0, { timeoutMs: 10_000, message: "a first shot within 10 s" });
      t.diagnostic(`managed camera: first shot ${(performance.now() - t0).toFixed(0)} ms after the KV put`);
      assert.deepEqual(
        service.runners.map((r) => r.camera.id),
        ["added"],
      );
      assert.equal(outsider.runners.length, 0, "a service with CAMERA_GROUP=off does not run managed cameras");
      await waitFor(async () => (await health("added"))?.state === "live" && ((await health("added"))?.fps ?? 0) > 0, {
        message: "health says live with an fps",
      });
      const h = (await health("added")) as CameraHealth;
      assert.equal(h.origin, "managed");
      assert.equal(h.name, "Added in the console");
      assert.ok(h.lastFrameAt !== null);

      // disabled: the camera stops (its tracks end), the report says so
      await config.put(managedCameraKey("added"), JSON.stringify({ ...entry, enabled: false }));
      await waitFor(() => statuses(rec.events, "added").at(-1)?.status === "stopped", { message: "stopped when disabled" });
      await waitFor(async () => (await health("added"))?.state === "disabled", { message: "health says disabled" });
      assert.equal(service.runners.length, 0);

      // enabled again with a zone nobody stands in: it runs, publishes no face
      const before = faces(rec.events, "added").length;
      const zone = { x: 0, y: 0.95, width: 0.05, height: 0.05 };
      await config.put(managedCameraKey("added"), JSON.stringify({ ...entry, zone }));
      await waitFor(async () => ((await health("added"))?.framesProcessed ?? 0) > 20 && service.runners.length === 1, {
        message: "runs again",
      });
      assert.equal(faces(rec.events, "added").length, before, "no face outside the zone");
      assert.deepEqual((await health("added"))?.zone, zone);

      // removed: stopped, no longer reported
      await config.delete(managedCameraKey("added"));
      await waitFor(async () => service.runners.length === 0 && (await health("added")) === null, {
        message: "removed: not run, not reported",
      });
    } finally {
      await outsider.stop();
      await service.stop();
      await config.delete(managedCameraKey("added")).catch(() => undefined);
      rec.stop();
    }
  });

  test("an override disables a bootstrap camera before it starts; a stopped service removes its bootstrap reports", async () => {
    const config = await bus.kv("config");
    await config.put(managedCameraKey("boot"), JSON.stringify({ id: "boot", enabled: false, name: "Boot (off)" }));
    const rec = record();
    const service = await start({
      HEALTH_REPORT_MS: "300",
      CAMERAS: JSON.stringify([
        { id: "boot", source: YTC, role: "desk", loop: true },
        { id: "other", source: YTC, role: "desk", loop: true },
      ]),
    });
    try {
      assert.deepEqual(
        service.runners.map((r) => r.camera.id),
        ["other"],
      );
      assert.equal(statuses(rec.events, "boot").length, 0, "the disabled camera never started");
      await waitFor(async () => (await health("boot"))?.state === "disabled", { message: "reported disabled" });
      assert.equal((await health("boot"))?.name, "Boot (off)");
    } finally {
      await service.stop();
      await config.delete(managedCameraKey("boot"));
      rec.stop();
    }
    assert.equal(await health("other"), null, "a bootstrap camera leaves with its service");
  });
});

function recognized(shot: Face, name: string): AnyEnvelope {
  const d = shot.data;
  return makeEnvelope(
    "FaceRecognized",
    {
      cameraId: d.cameraId,
      trackId: d.trackId,
      detectionId: shot.id,
      personId: "angelina",
      personName: name,
      similarity: 0.9,
      margin: 0.2,
      decision: "confirmed",
      votes: { agreeing: 1, total: 1 },
      quality: d.quality,
      frameAt: d.frameAt,
      crop: d.crop,
      via: "embedding",
    },
    { source: "recognizer", correlationId: shot.correlationId, causationId: shot.id },
  );
}

/** Reads `count` JPEG parts of a multipart/x-mixed-replace stream, then hangs up. */
async function readMjpegParts(url: string, count: number): Promise<Buffer[]> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^multipart\/x-mixed-replace; boundary=/);
  const reader = res.body?.getReader();
  assert.ok(reader);
  let buf = Buffer.alloc(0);
  const parts: Buffer[] = [];
  try {
    while (parts.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buf = Buffer.concat([buf, Buffer.from(value)]);
      for (;;) {
        const headerEnd = buf.indexOf("\r\n\r\n");
        if (headerEnd < 0) break;
        const header = buf.subarray(0, headerEnd).toString();
        const len = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
        assert.ok(Number.isFinite(len), header);
        if (buf.length < headerEnd + 4 + len + 2) break;
        parts.push(Buffer.from(buf.subarray(headerEnd + 4, headerEnd + 4 + len)));
        buf = buf.subarray(headerEnd + 4 + len + 2);
      }
    }
  } finally {
    ac.abort();
  }
  return parts.slice(0, count);
}
