import assert from "node:assert/strict";
import type { Server } from "node:http";
import { fakeService, serverUrl } from "@persona/testing";
import { after, before, describe, test } from "node:test";
import { type Client, type Harness, call, startHarness } from "./testSupport.ts";

interface System {
  services: { name: string; ready: boolean }[];
  consumers: { stream: string; name: string }[];
  deadLetters: number | null;
  replicas: { service: string; url: string; reachable: boolean; ready: boolean; error: string | null }[];
  cameras: {
    cameraId: string;
    status: string;
    fps: number | null;
    framesProcessed: number | null;
    metricsState: string | null;
  }[];
  recognizers: { url: string; reachable: boolean; handled: number | null; perSecond: number | null }[];
  storage: { kind: string; bytes: number | null; error: string | null };
}

describe("GET /system: every service replica's readiness and metrics; PUT /rules: field errors with their paths", () => {
  let h: Harness;
  let admin: Client;
  let viewer: Client;
  let recognizer: Server;
  let camera: Server;
  let deadUrl: string;
  let handled = 100;
  let frames = 50;
  const base = () => h.portal.url;

  before(async () => {
    recognizer = await fakeService(
      "recognizer",
      () =>
        `# HELP persona_messages_handled_total Messages handled\n# TYPE persona_messages_handled_total counter\n` +
        `persona_messages_handled_total{consumer="recognizer",type="FaceDetected",outcome="ok",service="recognizer"} ${handled}\n` +
        `persona_messages_handled_total{consumer="recognizer",type="FaceDetected",outcome="retry",service="recognizer"} 2\n`,
    );
    camera = await fakeService(
      "camera",
      () =>
        `persona_camera_frames_total{camera="door",outcome="processed",service="camera"} ${frames}\n` +
        `persona_camera_frames_total{camera="door",outcome="decoded",service="camera"} ${frames + 5}\n` +
        `persona_camera_state{camera="door",state="live",service="camera"} 1\n` +
        `persona_camera_state{camera="door",state="reconnecting",service="camera"} 0\n`,
    );
    // a port that was free a moment ago: nothing answers there
    const dead = await fakeService("greeter", () => "");
    deadUrl = serverUrl(dead);
    await new Promise((r) => dead.close(r));
    h = await startHarness({
      serviceHealth: [
        { service: "recognizer", url: serverUrl(recognizer) },
        { service: "camera", url: serverUrl(camera) },
        { service: "greeter", url: deadUrl },
      ],
    });
    [admin, viewer] = await h.clients(["vera", "viewer"]);
  });
  after(async () => {
    await h?.dispose();
    await new Promise((r) => recognizer?.close(r));
    await new Promise((r) => camera?.close(r));
  });

  test("a live replica is ready with its metrics, a dead one is down (not an error); existing fields stay", async () => {
    const r = await call<System>(base(), "GET", "/system", { client: viewer });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.services.some((s) => s.name === "portal/nats" && s.ready));
    assert.ok(Array.isArray(r.body.consumers));
    assert.equal(r.body.deadLetters, 0);
    assert.deepEqual(
      r.body.replicas.map((x) => [x.service, x.url, x.reachable, x.ready]),
      [
        ["recognizer", serverUrl(recognizer), true, true],
        ["camera", serverUrl(camera), true, true],
        ["greeter", deadUrl, false, false],
      ],
    );
    assert.ok(r.body.replicas[2]?.error, "a dead replica says why");
    assert.deepEqual(r.body.recognizers, [{ url: serverUrl(recognizer), reachable: true, handled: 102, perSecond: null }]);
    assert.deepEqual(
      r.body.cameras.map((c) => [c.cameraId, c.status, c.framesProcessed, c.metricsState, c.fps]),
      [["door", "live", 50, "live", null]],
    );
    assert.equal(r.body.storage.kind, "sqlite");
    assert.ok((r.body.storage.bytes ?? 0) > 0, JSON.stringify(r.body.storage));

    // a second reading a second later: rates from the counters' increase
    handled += 20;
    frames += 10;
    await new Promise((res) => setTimeout(res, 1000));
    const r2 = await call<System>(base(), "GET", "/system", { client: viewer });
    const perSecond = r2.body.recognizers[0]?.perSecond ?? 0;
    assert.ok(perSecond > 10 && perSecond <= 20, String(perSecond));
    const fps = r2.body.cameras[0]?.fps ?? 0;
    assert.ok(fps > 5 && fps <= 10, String(fps));
  });

  test("PUT /rules with an invalid field: 400 naming the field's path; the stored rules unchanged", async () => {
    const before = await call<{ rules: { id: string; severity: string }[] }>(base(), "GET", "/rules", { client: admin });
    const bad = {
      cameras: { door: { role: "perimeter", schedule: { days: [1], from: "25:00", to: "18:00", utcOffsetMinutes: 0 } } },
      rules: [{ id: "x", kind: "watchlisted", severity: "apocalyptic" }],
    };
    const r = await call<{ error: { message: string; details: { path: (string | number)[]; message: string }[] } }>(
      base(),
      "PUT",
      "/rules",
      { client: admin, json: bad },
    );
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const paths = r.body.error.details.map((i) => i.path.join("."));
    assert.ok(paths.includes("rules.0.severity"), JSON.stringify(paths));
    assert.ok(paths.includes("cameras.door.schedule.from"), JSON.stringify(paths));
    // an after-hours rule with no scheduled camera: the rule's path
    const r2 = await call<{ error: { details: { path: (string | number)[] }[] } }>(base(), "PUT", "/rules", {
      client: admin,
      json: { cameras: {}, rules: [{ id: "late", kind: "after-hours", severity: "low" }] },
    });
    assert.equal(r2.status, 400);
    assert.deepEqual(
      r2.body.error.details.map((i) => i.path),
      [["rules", 0]],
    );
    const after = await call(base(), "GET", "/rules", { client: admin });
    assert.deepEqual(after.body, before.body);
  });
});
