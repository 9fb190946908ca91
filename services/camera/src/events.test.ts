import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FaceDetected, FaceTrackEnded, CameraStatusChanged, MAX_INLINE_CROP_BYTES } from "@persona/contracts";
import { scoreQuality } from "@persona/vision";
import { CropTooLargeError, cameraStatusData, faceDetectedData, trackEndedData } from "./events.ts";

const keypoints = {
  rightEye: { x: 110, y: 120 },
  leftEye: { x: 150, y: 120 },
  noseTip: { x: 130, y: 140 },
  mouth: { x: 130, y: 160 },
  rightEar: { x: 95, y: 130 },
  leftEar: { x: 165, y: 130 },
};
const quality = scoreQuality({
  faceSize: 80,
  eyeDistance: 40,
  sharpness: 100,
  pose: { yaw: 5, pitch: -3, roll: 1 },
  detectorScore: 0.93,
});

describe("camera events", () => {
  test("FaceDetected data satisfies the contract: keypoints as pairs, quality flattened, crop inline", () => {
    const data = faceDetectedData({
      cameraId: "gate-1",
      trackId: "gate-1-abc123-1",
      shot: 1,
      frame: { frameNo: 42, capturedAt: Date.UTC(2026, 0, 1), width: 640, height: 480 },
      face: { box: { x: 90, y: 90, width: 80, height: 80 }, keypoints, score: 0.93, quality, alignment: "landmarks68" },
      jpeg: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
    });
    const parsed = FaceDetected.data.parse(data);
    assert.equal(parsed.alignment, "landmarks68");
    assert.equal(parsed.keypoints.length, 6);
    assert.deepEqual(parsed.keypoints[0], [110, 120]);
    assert.equal(parsed.quality.yaw, 5);
    assert.equal(parsed.frameAt, "2026-01-01T00:00:00.000Z");
    assert.deepEqual(parsed.crop, { kind: "inline", contentType: "image/jpeg", base64: "/9j/2Q==" });
    assert.equal(FaceDetected.subject(parsed), "detections.gate-1.face");
  });

  test("a crop too large for an event is refused", () => {
    assert.throws(
      () =>
        faceDetectedData({
          cameraId: "c",
          trackId: "t",
          shot: 1,
          frame: { frameNo: 0, capturedAt: 0, width: 10, height: 10 },
          face: { box: { x: 0, y: 0, width: 1, height: 1 }, keypoints, score: 1, quality },
          jpeg: new Uint8Array(MAX_INLINE_CROP_BYTES + 1),
        }),
      CropTooLargeError,
    );
  });

  test("non-finite numbers never reach the contract", () => {
    const data = faceDetectedData({
      cameraId: "c",
      trackId: "t",
      shot: 2,
      frame: { frameNo: 0, capturedAt: 0, width: 10, height: 10 },
      face: {
        box: { x: Number.NaN, y: 0, width: -1, height: 1 },
        keypoints,
        score: 1.2,
        quality: { ...quality, score: Number.NaN },
      },
      jpeg: new Uint8Array(1),
    });
    const parsed = FaceDetected.data.parse(data);
    assert.equal(parsed.box.x, 0);
    assert.equal(parsed.box.width, 0);
    assert.equal(parsed.detectorScore, 1);
    assert.equal(parsed.quality.score, 0);
  });

  test("FaceTrackEnded and CameraStatusChanged satisfy the contract; sources are redacted", () => {
    const ended = FaceTrackEnded.data.parse(
      trackEndedData({
        cameraId: "c",
        trackId: "c-r-1",
        startedAt: 1000,
        endedAt: 900,
        frames: 10,
        shots: 2,
        bestQuality: 0.8,
        reason: "left-view",
      }),
    );
    assert.equal(ended.endedAt, ended.startedAt, "never ends before it starts");
    const status = CameraStatusChanged.data.parse(
      cameraStatusData(
        { id: "c", role: "perimeter", source: "rtsp://u:pw@h/x" },
        { state: "reconnecting", message: "refused", attempt: 2, at: 0 },
      ),
    );
    assert.equal(status.source, "rtsp://u:***@h/x");
    assert.equal(status.attempt, 2);
  });
});
