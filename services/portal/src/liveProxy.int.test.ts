import assert from "node:assert/strict";
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { cameraLive } from "@persona/bus/testing";
import { freePort } from "@persona/testing";
import { jpegIn } from "./liveProxy.ts";
import { type Client, type Harness, call, startHarness, until } from "./testSupport.ts";

/** A fake JPEG: SOI, a marker of which frame it is, EOI. */
const frame = (n: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(`frame-${n}`.padEnd(64, ".")), Buffer.from([0xff, 0xd9])]);
const BOUNDARY = "fake-frame";

/**
 * A camera service's live view in miniature: /cameras/<id>/live.mjpeg streams a frame every 50 ms,
 * /cameras/<id>/snapshot.jpg answers one; /private/feed wants Basic auth (user:s3cret) and sends parts without
 * Content-Length. It counts the streams open now.
 */
class FakeCamera {
  server!: Server;
  open = 0;
  auths: string[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.route(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/cameras/hall/snapshot.jpg") {
      res.writeHead(200, { "content-type": "image/jpeg" }).end(frame(99));
      return;
    }
    if (path === "/private/feed") {
      this.auths.push(req.headers.authorization ?? "");
      if (req.headers.authorization !== `Basic ${Buffer.from("user:s3cret").toString("base64")}`) {
        res.writeHead(401).end();
        return;
      }
      this.stream(res, false);
      return;
    }
    if (/^\/cameras\/(gate|hall)\/live\.mjpeg$/.test(path)) {
      this.stream(res, true);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  }

  stream(res: ServerResponse, withLength: boolean): void {
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace; boundary=${BOUNDARY}` });
    this.open++;
    let n = 0;
    const send = () => {
      const jpeg = frame(n++);
      res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${jpeg.length}\r\n` : ""}\r\n`);
      res.write(jpeg);
      res.write("\r\n");
    };
    send();
    const timer = setInterval(send, 50);
    res.once("close", () => {
      clearInterval(timer);
      this.open--;
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe("the cameras' live views through the portal (GET /cameras/:cameraId/live and /snapshot)", () => {
  let h: Harness;
  let viewer: Client;
  const cam = new FakeCamera();
  let deadPort = 0;
  const base = () => h.portal.url;

  before(async () => {
    const root = await cam.start();
    deadPort = await freePort();
    const port = new URL(root).port;
    h = await startHarness({
      cameraLiveUrl: root,
      liveUrls: {
        gate: `http://127.0.0.1:${port}/cameras/gate/live.mjpeg`,
        door: `http://user:s3cret@127.0.0.1:${port}/private/feed?token=abc`,
        down: `http://127.0.0.1:${deadPort}/cameras/down/live.mjpeg`,
        ghost: `http://127.0.0.1:${port}/cameras/ghost/live.mjpeg`,
      },
    });
    // "hall" has no URL of its own: the portal knows it from its status and takes its view from the camera service
    await h.bus.publish(h.bus.envelope("CameraStatusChanged", cameraLive("hall", { message: "ok", source: "rtsp://cam" })));
    const admin = await h.login();
    const made = await call(base(), "POST", "/users", {
      client: admin,
      json: { username: "vera", password: "viewer-password-1", role: "viewer" },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    viewer = await h.login("vera", "viewer-password-1");
  });
  after(async () => {
    await h?.dispose();
    await cam.stop();
  });

  /** Opens a stream; resolves once `bytes` bytes arrived, with the answer and a way to leave. */
  const open = (path: string, cookie: string | null, bytes = 1) =>
    new Promise<{ status: number; type: string; body: Buffer; leave: () => void }>((resolve, reject) => {
      const u = new URL(base());
      const req = request(
        { host: u.hostname, port: u.port, path: `/api/v1${path}`, headers: cookie ? { cookie } : {} },
        (res) => {
          let body = Buffer.alloc(0);
          const done = () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body, leave: () => req.destroy() });
          res.on("data", (c: Buffer) => {
            body = Buffer.concat([body, c]);
            if (body.length >= bytes && res.statusCode === 200) done();
          });
          res.on("end", done);
        },
      );
      req.on("error", reject);
      req.end();
    });

  test("the camera's MJPEG arrives through the portal, and leaving closes the camera's connection at once", async () => {
    const live = await open("/cameras/gate/live", viewer.cookie, 2000);
    assert.equal(live.status, 200);
    assert.equal(live.type, `multipart/x-mixed-replace; boundary=${BOUNDARY}`, "the upstream's boundary is kept");
    const text = live.body.toString("latin1");
    assert.match(text, new RegExp(`^--${BOUNDARY}\\r\\nContent-Type: image/jpeg\\r\\nContent-Length: 68\\r\\n\\r\\n`));
    assert.ok(text.includes("frame-0") && text.includes("frame-5"), "the frames stream, in order");
    assert.deepEqual(jpegIn(live.body), frame(0), "the bytes are the camera's");
    assert.equal(cam.open, 1);
    live.leave();
    await until("the camera's stream closed", async () => cam.open === 0, 3000);
  });

  test("a camera known from its status is served from the camera service's URL; snapshots are one JPEG", async () => {
    const live = await until("hall known", async () => {
      const r = await open("/cameras/hall/live", viewer.cookie, 200);
      if (r.status !== 200) r.leave();
      return r.status === 200 && r;
    });
    assert.ok(live.body.toString("latin1").includes("frame-0"));
    live.leave();
    const snap = await fetch(`${base()}/api/v1/cameras/hall/snapshot`, { headers: { cookie: viewer.cookie } });
    assert.equal(snap.status, 200);
    assert.equal(snap.headers.get("content-type"), "image/jpeg");
    assert.deepEqual(Buffer.from(await snap.arrayBuffer()), frame(99), "the camera service's snapshot.jpg");
    // a URL that is not the camera service's: the stream's first frame, taken with the URL's credentials
    const first = await fetch(`${base()}/api/v1/cameras/door/snapshot`, { headers: { cookie: viewer.cookie } });
    assert.equal(first.status, 200);
    assert.deepEqual(Buffer.from(await first.arrayBuffer()), frame(0));
    assert.equal(cam.auths.at(-1), `Basic ${Buffer.from("user:s3cret").toString("base64")}`);
    await until("every stream closed", async () => cam.open === 0, 3000);
  });

  test("logged out 401, an unknown camera 404, a camera the camera service does not serve 404", async () => {
    const anon = await open("/cameras/gate/live", null);
    assert.equal(anon.status, 401);
    assert.equal(JSON.parse(anon.body.toString()).error.code, "unauthenticated");
    assert.equal(cam.open, 0, "nothing was opened for it");
    const forged = await open("/cameras/gate/live", "persona_sid=forged");
    assert.equal(forged.status, 401);
    const unknown = await call<{ error: { code: string } }>(base(), "GET", "/cameras/nowhere/live", { client: viewer });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "not-found");
    const snap = await call(base(), "GET", "/cameras/nowhere/snapshot", { client: viewer });
    assert.equal(snap.status, 404);
    const ghost = await call<{ error: { code: string; message: string } }>(base(), "GET", "/cameras/ghost/live", {
      client: viewer,
    });
    assert.equal(ghost.status, 404);
    assert.match(ghost.body.error.message, /no live view of camera ghost/);
  });

  test("an unreachable camera service is 502 with a reason that names the camera, not its URL", async () => {
    const r = await call<{ error: { code: string; message: string } }>(base(), "GET", "/cameras/down/live", { client: viewer });
    assert.equal(r.status, 502);
    assert.equal(r.body.error.code, "camera-unreachable");
    assert.match(r.body.error.message, /camera down is unreachable \(ECONNREFUSED\)/);
    assert.doesNotMatch(r.body.error.message, new RegExp(String(deadPort)));
    const s = await call<{ error: { code: string } }>(base(), "GET", "/cameras/down/snapshot", { client: viewer });
    assert.equal(s.status, 502);
    assert.equal(s.body.error.code, "camera-unreachable");
  });

  test("GET /cameras shows no credentials or tokens of a source URL", async () => {
    const r = await call<{ items: { cameraId: string; hasLiveView: boolean; source: string | null }[] }>(
      base(),
      "GET",
      "/cameras",
      { client: viewer },
    );
    assert.equal(r.status, 200);
    const door = r.body.items.find((c) => c.cameraId === "door");
    assert.equal(door?.hasLiveView, true, "the browser learns that a view exists, not where the portal takes it from");
    assert.doesNotMatch(JSON.stringify(r.body), /s3cret|token|user@|private\/feed|127\.0\.0\.1/);
    assert.deepEqual(r.body.items.map((c) => c.cameraId).sort(), ["door", "down", "gate", "ghost", "hall"]);
  });
});
