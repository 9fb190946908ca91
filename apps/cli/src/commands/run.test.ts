import assert from "node:assert/strict";
import { test } from "node:test";
import { portalLiveEnv } from "./run.ts";

test("persona run points the portal at the camera service's live view (LIVE_HOST:LIVE_PORT); PORTAL_CAMERA_LIVE_URL wins", () => {
  assert.deepEqual(portalLiveEnv({}), { PORTAL_CAMERA_LIVE_URL: "http://127.0.0.1:8090" });
  assert.deepEqual(portalLiveEnv({ LIVE_PORT: "9123" }), { PORTAL_CAMERA_LIVE_URL: "http://127.0.0.1:9123" });
  assert.deepEqual(portalLiveEnv({ LIVE_HOST: "0.0.0.0", LIVE_PORT: "9123" }), {
    PORTAL_CAMERA_LIVE_URL: "http://127.0.0.1:9123",
  });
  assert.deepEqual(portalLiveEnv({ LIVE_HOST: "10.0.0.7" }), { PORTAL_CAMERA_LIVE_URL: "http://10.0.0.7:8090" });
  assert.deepEqual(portalLiveEnv({ LIVE_HOST: "::1", LIVE_PORT: "9000" }), { PORTAL_CAMERA_LIVE_URL: "http://[::1]:9000" });
  assert.deepEqual(portalLiveEnv({ LIVE_PORT: "9123", PORTAL_CAMERA_LIVE_URL: "http://cams:8090" }), {
    PORTAL_CAMERA_LIVE_URL: "http://cams:8090",
  });
});
