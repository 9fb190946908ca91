/**
 * Cameras managed in the console: the portal's side (the camera service's side is in services/camera's
 * cameraService.int.test.ts). A real nats-server and the real KV buckets; the camera service's reports are written
 * as it writes them.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type CameraHealth, ManagedCamera, managedCameraKey } from "@persona/contracts";
import { ADMIN, type Answer, type Client, type Harness, call, startHarness } from "./testSupport.ts";

let h: Harness;
const base = () => h.portal.url;
let admin: Client;
let viewer: Client;

interface CameraOut {
  cameraId: string;
  name: string;
  status: string;
  origin: string | null;
  managed: boolean;
  enabled: boolean;
  source: string | null;
  zone: unknown;
  health: { fps: number; stale: boolean; lastError: string | null; reconnects: number } | null;
}
const errorOf = (a: Answer) => (a.body as { error: { code: string; message: string } }).error;
const list = async (client: Client) => (await call<{ items: CameraOut[] }>(base(), "GET", "/cameras", { client })).body.items;
const stored = async (id: string) => {
  const e = await (await h.bus.kv("config")).get(managedCameraKey(id));
  return e && e.operation === "PUT" ? ManagedCamera.parse(e.json()) : null;
};

function report(id: string, over: Partial<CameraHealth> = {}): CameraHealth {
  return {
    cameraId: id,
    name: id,
    role: "desk",
    kind: "file",
    source: "/videos/demo.avi",
    origin: "bootstrap",
    group: "default",
    enabled: true,
    zone: null,
    detectFps: 5,
    state: "live",
    message: "playing",
    fps: 4.9,
    framesProcessed: 120,
    lastFrameAt: new Date().toISOString(),
    lastError: null,
    lastErrorAt: null,
    reconnects: 0,
    reporter: "host:1",
    updatedAt: new Date().toISOString(),
    intervalMs: 2000,
    ...over,
  };
}
const putReport = async (r: CameraHealth) => (await h.bus.kv("camera-health")).put(r.cameraId, JSON.stringify(r));

before(async () => {
  h = await startHarness();
  [admin, viewer] = await h.clients(["vic", "viewer"]);
});
after(async () => {
  await h?.dispose();
});

describe("cameras managed in the console", () => {
  test("an admin adds a camera: stored for the camera services, listed with its source redacted; viewers see no source", async () => {
    const json = {
      id: "gate-2",
      name: "Gate 2",
      source: "rtsp://admin:hunter2@10.0.0.7/stream1",
      role: "entrance",
      detectFps: 4,
    };
    assert.equal((await call(base(), "POST", "/cameras", { client: viewer, json })).status, 403);
    const r = await call<CameraOut>(base(), "POST", "/cameras", { client: admin, json });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.managed, true);
    assert.equal(r.body.source, "rtsp://admin:***@10.0.0.7/stream1");
    assert.equal(r.body.status, "unknown", "no camera service has reported it yet");
    const kept = await stored("gate-2");
    assert.equal(kept?.source, "rtsp://admin:hunter2@10.0.0.7/stream1", "the camera service gets the real URL");
    assert.equal(kept?.updatedBy, ADMIN.username);

    const seen = (await list(viewer)).find((c) => c.cameraId === "gate-2");
    assert.equal(seen?.name, "Gate 2");
    assert.equal(seen?.source, null);
    const all = await call(base(), "GET", "/cameras", { client: admin });
    assert.doesNotMatch(JSON.stringify(all.body), /hunter2/);

    const again = await call(base(), "POST", "/cameras", { client: admin, json });
    assert.equal(again.status, 409);
  });

  test("bad cameras get a 400 that says what is wrong, and nothing is stored", async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ id: "x1", source: "/etc/passwd", role: "desk" }, /relative to the camera service's MANAGED_FILES_DIR/],
      [{ id: "x2", source: "clips/../../etc/passwd", role: "desk" }, /"\.\." segments/],
      [{ id: "x3", source: "udp://0.0.0.0:1234", role: "desk" }, /cannot tell the kind of source/],
      [{ id: "x4", source: "rtsp://cam/x", role: "desk", loop: true }, /apply to file sources only/],
      [{ id: "x5", source: "rtsp://cam/x", role: "kitchen" }, /role/],
      [{ id: "x 6", source: "rtsp://cam/x", role: "desk" }, /id/],
      [{ id: "x7", source: "rtsp://cam/x", role: "desk", zone: { x: 0.8, y: 0, width: 0.5, height: 1 } }, /inside the frame/],
    ];
    for (const [json, why] of bad) {
      const r = await call(base(), "POST", "/cameras", { client: admin, json });
      assert.equal(r.status, 400, `${JSON.stringify(json)}: ${JSON.stringify(r.body)}`);
      assert.match(`${errorOf(r).message} ${JSON.stringify(r.body)}`, why);
      if (/^[\w-]+$/.test(String(json.id))) assert.equal(await stored(String(json.id)), null);
    }
  });

  test("edit, disable, zone, and remove a managed camera; a stale report says the camera service is gone", async () => {
    await call(base(), "POST", "/cameras", {
      client: admin,
      json: { id: "lab", source: "lab/clip.avi", role: "classroom", loop: true },
    });
    await putReport(report("lab", { origin: "managed", reconnects: 2, lastError: "connection refused" }));
    const zone = { x: 0.25, y: 0, width: 0.5, height: 1 };
    const p = await call<CameraOut>(base(), "PATCH", "/cameras/lab", {
      client: admin,
      json: { enabled: false, zone, name: "Lab" },
    });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.deepEqual([p.body.enabled, p.body.name, p.body.zone], [false, "Lab", zone]);
    assert.equal((await stored("lab"))?.source, "lab/clip.avi", "a change keeps what it does not name");
    assert.equal(p.body.health?.reconnects, 2);
    assert.equal(p.body.health?.lastError, "connection refused");

    const cleared = await call<CameraOut>(base(), "PATCH", "/cameras/lab", { client: admin, json: { zone: null } });
    assert.equal(cleared.body.zone, null);
    assert.equal((await call(base(), "PATCH", "/cameras/lab", { client: admin, json: {} })).status, 400);
    assert.equal((await call(base(), "PATCH", "/cameras/nope", { client: admin, json: { name: "x" } })).status, 404);

    await putReport(report("lab", { origin: "managed", updatedAt: new Date(Date.now() - 60_000).toISOString() }));
    const stale = (await list(admin)).find((c) => c.cameraId === "lab");
    assert.equal(stale?.status, "not reporting");
    assert.deepEqual([stale?.health?.stale, stale?.health?.fps], [true, 0]);

    assert.equal((await call(base(), "DELETE", "/cameras/lab", { client: viewer })).status, 403);
    assert.equal((await call(base(), "DELETE", "/cameras/lab", { client: admin })).status, 204);
    assert.equal(await stored("lab"), null);
    assert.equal((await call(base(), "DELETE", "/cameras/lab", { client: admin })).status, 404);
  });

  test("a bootstrap camera: settings overridden, not its source; it cannot be removed, only disabled", async () => {
    await putReport(report("demo", { name: "Demo clip" }));
    const src = await call(base(), "PATCH", "/cameras/demo", { client: admin, json: { source: "rtsp://elsewhere/x" } });
    assert.equal(src.status, 400);
    assert.match(errorOf(src).message, /bootstrap camera/);
    const del = await call(base(), "DELETE", "/cameras/demo", { client: admin });
    assert.equal(del.status, 409);
    assert.match(errorOf(del).message, /disable it instead/);
    const off = await call<CameraOut>(base(), "PATCH", "/cameras/demo", { client: admin, json: { enabled: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.deepEqual(await stored("demo"), {
      id: "demo",
      enabled: false,
      updatedAt: (await stored("demo"))?.updatedAt,
      updatedBy: "admin",
    });
    const post = await call(base(), "POST", "/cameras", {
      client: admin,
      json: { id: "demo", source: "rtsp://a/b", role: "desk" },
    });
    assert.equal(post.status, 409);
    // removing the override restores the bootstrap settings
    assert.equal((await call(base(), "DELETE", "/cameras/demo", { client: admin })).status, 204);
    assert.equal(await stored("demo"), null);
  });

  test("two admins editing one camera: the second write, made on an old revision, is refused", async () => {
    await call(base(), "POST", "/cameras", { client: admin, json: { id: "race", source: "rtsp://cam/r", role: "desk" } });
    const kv = await h.bus.kv("config");
    const before = await kv.get(managedCameraKey("race"));
    await call(base(), "PATCH", "/cameras/race", { client: admin, json: { name: "first" } });
    // what a second portal replica holding the old revision would write
    await assert.rejects(
      kv.update(
        managedCameraKey("race"),
        JSON.stringify({ id: "race", source: "rtsp://cam/r", role: "desk" }),
        before?.revision ?? 0,
      ),
    );
    assert.equal((await stored("race"))?.name, "first");
  });
});
