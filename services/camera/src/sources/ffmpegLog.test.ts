import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FfmpegLog } from "./ffmpegLog.ts";

const FILE_HEADER = `Input #0, avi, from 'clm_multi_face.avi':
  Duration: 00:00:23.40, start: 0.000000, bitrate: 1026 kb/s
  Stream #0:0: Video: mpeg4 (Advanced Simple Profile) (DIVX / 0x58564944), yuv420p, 640x480 [SAR 1:1 DAR 4:3], 1020 kb/s, 30 fps, 30 tbr, 30 tbn
Stream mapping:
  Stream #0:0 -> #0:0 (mpeg4 (native) -> rawvideo (native))
Output #0, rawvideo, to 'pipe:1':
  Metadata:
    encoder         : Lavf59.27.100
  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 320x240 [SAR 1:1 DAR 4:3], q=2-31, 55296 kb/s, 30 fps, 30 tbn
`;

describe("FfmpegLog", () => {
  test("reads the output frame size and the input frame rate, across chunk boundaries", () => {
    const log = new FfmpegLog();
    for (let i = 0; i < FILE_HEADER.length; i += 17) log.push(FILE_HEADER.slice(i, i + 17));
    assert.deepEqual(log.outputSize, { width: 320, height: 240 });
    assert.equal(log.inputFps, 30);
  });

  test("MJPEG over HTTP: no fps, tbr used; odd sizes", () => {
    const log = new FfmpegLog();
    log.push(`Input #0, mpjpeg, from 'http://127.0.0.1:4000/':
  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 320x239, 25 tbr, 25 tbn
[swscaler @ 0x1] deprecated pixel format used, make sure you did set range correctly
Output #0, rawvideo, to 'pipe:1':
  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 320x239, q=2-31, 46080 kb/s, 25 fps, 25 tbn
`);
    assert.deepEqual(log.outputSize, { width: 320, height: 239 });
    assert.equal(log.inputFps, 25);
    assert.ok(!log.tail(10).some((l) => l.includes("deprecated")), "noise is not kept");
  });

  test("explains failures with the most telling line, secrets redacted", () => {
    const notVideo = new FfmpegLog();
    notVideo.push("[mov,mp4 @ 0x1] moov atom not found\nfile:/tmp/x.mp4: Invalid data found when processing input\n");
    notVideo.end();
    assert.equal(notVideo.failure().kind, "not-video");
    assert.match(notVideo.failure().message, /Invalid data found/);

    const refused = new FfmpegLog();
    refused.push("[tcp @ 0x1] Connection to tcp://10.0.0.1:554?timeout=0 failed: Connection refused\n");
    refused.push("rtsp://admin:pw@10.0.0.1/x: Connection refused");
    refused.end();
    assert.deepEqual(refused.failure(), { kind: "network", message: "rtsp://admin:***@10.0.0.1/x: Connection refused" });

    const missing = new FfmpegLog();
    missing.push("file:/nope.mp4: No such file or directory\n");
    assert.equal(missing.failure().kind, "not-found");

    const silent = new FfmpegLog();
    assert.deepEqual(silent.failure(), { kind: "unknown", message: "ffmpeg exited without a message" });
  });

  test("keeps a bounded tail", () => {
    const log = new FfmpegLog(5);
    for (let i = 0; i < 100; i++) log.push(`line ${i}\n`);
    assert.deepEqual(log.tail(10), ["line 95", "line 96", "line 97", "line 98", "line 99"]);
  });
});
