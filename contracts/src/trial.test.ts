import assert from "node:assert/strict";
import { test } from "node:test";
import { TRIAL_CAMERA_PREFIX, isTrialCamera, isTrialEvent, makeEnvelope, trialCameraId } from "./index.ts";

const quality = { score: 0.8, faceSize: 120, eyeDistance: 40, sharpness: 150, yaw: 3, pitch: -2, roll: 1 };
const crop = { kind: "inline" as const, contentType: "image/jpeg" as const, base64: "AA==" };

test("isTrialCamera: only ids with the reserved prefix", () => {
  assert.equal(isTrialCamera(`${TRIAL_CAMERA_PREFIX}ab12`), true);
  assert.equal(isTrialCamera("_watch-desk"), true);
  for (const id of ["watch-ab12", "gate-1", "watch", "_watch", "x_watch-1", "", null, undefined])
    assert.equal(isTrialCamera(id), false, String(id));
});

test("isTrialEvent: a sighting, track end or camera status of a trial camera; never one of a site camera or without a camera", () => {
  const recognized = (cameraId: string) =>
    makeEnvelope(
      "FaceRecognized",
      {
        cameraId,
        trackId: "t1",
        detectionId: "5f0c6a52-3f7e-4a57-9d4c-2f1d9a0e8b11",
        personId: "p1",
        personName: "Ann",
        similarity: 0.7,
        margin: 0.2,
        decision: "confirmed",
        votes: { agreeing: 3, total: 3 },
        quality,
        frameAt: "2024-05-01T09:00:00.000Z",
        crop,
        via: "embedding",
      },
      { source: "test" },
    );
  assert.equal(isTrialEvent(recognized("_watch-ab12")), true);
  assert.equal(isTrialEvent(recognized("watch-ab12")), false);
  assert.equal(isTrialEvent(recognized("gate-1")), false);
  const status = makeEnvelope(
    "CameraStatusChanged",
    { cameraId: "_watch-ab12", role: "desk", status: "ended", message: "", attempt: 0, source: "clip.avi" },
    { source: "test" },
  );
  assert.equal(isTrialEvent(status), true);
  const removed = makeEnvelope("PersonRemoved", { personId: "p1", reason: "x", by: "me" }, { source: "test" });
  assert.equal(isTrialEvent(removed), false);
  assert.equal(isTrialEvent({ data: { cameraId: null } }), false, "an alert with no camera");
  assert.equal(isTrialEvent({ data: null }), false);
});

test("trialCameraId: the prefix once, and a valid camera id or an error", () => {
  assert.equal(trialCameraId("ab12"), "_watch-ab12");
  assert.equal(trialCameraId("_watch-ab12"), "_watch-ab12");
  assert.throws(() => trialCameraId("a b"));
  assert.throws(() => trialCameraId("x".repeat(64)));
});
