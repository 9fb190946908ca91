import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildFfmpegArgs, fileInput, inferSourceKind, redactSecrets, sourceFitsKind } from "./ffmpegArgs.ts";

const base = { realtime: false, maxWidth: null, ioTimeoutMs: 5000, detectFps: 0 };
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe("ffmpeg source arguments", () => {
  test("kinds are inferred from the source", () => {
    assert.equal(inferSourceKind("rtsp://cam/1"), "rtsp");
    assert.equal(inferSourceKind("RTSPS://cam/1"), "rtsp");
    assert.equal(inferSourceKind("http://cam/video.mjpg"), "http");
    assert.equal(inferSourceKind("https://cam/video.mjpg"), "http");
    assert.equal(inferSourceKind("/dev/video2"), "webcam");
    assert.equal(inferSourceKind("/data/clip.mp4"), "file");
    assert.equal(inferSourceKind("clip.mp4"), "file");
    assert.equal(inferSourceKind("file:///data/clip.mp4"), "file");
    for (const s of ["rtmp://x/y", "concat:a|b", "pipe:0", "udp://1.2.3.4:5", ""]) assert.equal(inferSourceKind(s), null, s);
    assert.ok(sourceFitsKind("/dev/v4l/by-id/usb-cam", "webcam"));
    assert.ok(sourceFitsKind("https://host/clip.mp4", "file"));
    assert.ok(!sourceFitsKind("http://host/x", "rtsp"));
  });

  test("files: the file: protocol on an absolute path, -re when paced (a loop is a new run: never -stream_loop)", () => {
    const once = buildFfmpegArgs({ ...base, kind: "file", source: "/v/a.mp4" });
    assert.equal(after(once, "-i"), "file:/v/a.mp4");
    assert.ok(!once.includes("-re") && !once.includes("-stream_loop"));
    const live = buildFfmpegArgs({ ...base, kind: "file", source: "/v/a.mp4", realtime: true });
    assert.ok(live.indexOf("-re") < live.indexOf("-i"));
    assert.ok(!live.includes("-stream_loop"));
    assert.ok(fileInput("rel/a.mp4").startsWith("file:/"));
    assert.equal(fileInput("file:///v/a%20b.mp4"), "file:/v/a b.mp4");
  });

  test("rtsp over TCP with a socket timeout; http with an I/O timeout; webcams through v4l2", () => {
    const rtsp = buildFfmpegArgs({ ...base, kind: "rtsp", source: "rtsp://cam/1" });
    assert.equal(after(rtsp, "-rtsp_transport"), "tcp");
    assert.equal(after(rtsp, "-timeout"), "5000000");
    const http = buildFfmpegArgs({ ...base, kind: "http", source: "http://cam/m.mjpg" });
    assert.equal(after(http, "-rw_timeout"), "5000000");
    assert.equal(after(http, "-use_wallclock_as_timestamps"), "1", "MJPEG has no timestamps: arrival time paces it");
    assert.equal(after(http, "-i"), "http://cam/m.mjpg");
    const cam = buildFfmpegArgs({ ...base, kind: "webcam", source: "/dev/video0" });
    assert.equal(after(cam, "-f"), "v4l2");
    assert.equal(after(cam, "-i"), "/dev/video0");
  });

  test("raw RGB24 on stdout, first video stream only, every frame passed through; optional downscale", () => {
    const args = buildFfmpegArgs({ ...base, kind: "file", source: "/a.mp4", maxWidth: 640 });
    assert.deepEqual(args.slice(-7), ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
    assert.equal(after(args, "-map"), "0:v:0");
    assert.equal(after(args, "-vf"), "scale=w='min(iw,640)':h=-1:flags=area");
    assert.ok(!buildFfmpegArgs({ ...base, kind: "file", source: "/a.mp4" }).includes("-vf"));
    assert.throws(() => buildFfmpegArgs({ ...base, kind: "file", source: "/a.mp4", maxWidth: 3 }), RangeError);
  });

  test("the detection rate is a ceiling enforced by ffmpeg: variable frame rate, at most N per second, no duplicates", () => {
    const args = buildFfmpegArgs({ ...base, kind: "rtsp", source: "rtsp://cam/1", detectFps: 5 });
    assert.deepEqual(args.slice(-9, -5), ["-fps_mode", "vfr", "-r", "5"]);
    assert.equal(after(buildFfmpegArgs({ ...base, kind: "file", source: "/a", detectFps: 2.5 }), "-r"), "2.5");
    // frames are dropped before the downscale (and colour conversion), not after: a select filter keeps one per
    // 1/N s (less 1% for jitter); frames without timestamps pass
    const scaled = buildFfmpegArgs({ ...base, kind: "file", source: "/a.mp4", detectFps: 5, maxWidth: 1280 });
    assert.equal(
      after(scaled, "-vf"),
      "select='isnan(t)+isnan(prev_selected_t)+gte(t-prev_selected_t\\,0.198000)',scale=w='min(iw,1280)':h=-1:flags=area",
    );
    assert.match(after(args, "-vf") ?? "", /^select='.*0\.198000\)'$/);
  });

  test("passwords in URLs are redacted in any text", () => {
    assert.equal(redactSecrets("rtsp://admin:s3cr3t@10.0.0.1/x"), "rtsp://admin:***@10.0.0.1/x");
    assert.equal(
      redactSecrets("[tcp] Connection to rtsp://u:p@h:554/x failed; http://a:b@c/ too"),
      "[tcp] Connection to rtsp://u:***@h:554/x failed; http://a:***@c/ too",
    );
    assert.equal(redactSecrets("rtsp://cam/x"), "rtsp://cam/x");
  });
});
