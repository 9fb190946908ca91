/**
 * The annotated live view, on the camera service's own port:
 *
 * - `GET /cameras`: JSON list of the cameras with their state and counters;
 * - `GET /cameras/<id>/live.mjpeg`: multipart MJPEG (`multipart/x-mixed-replace`) of the processed frames with face
 *   boxes, track ids and names;
 * - `GET /cameras/<id>/snapshot.jpg`: the latest processed frame, annotated;
 * - `GET /`: a minimal HTML page showing every camera's stream.
 *
 * Latency over completeness: a frame is encoded only when someone watches (or asks for a snapshot), at most
 * `maxFps` per camera, always the newest one; a client whose socket is still full from the previous frame skips
 * frames instead of queueing them. Labels are drawn as an SVG layer composited by sharp; where no font renders (a bare
 * box without fontconfig fonts), only the boxes are drawn.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { redactSecrets } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import { type Box, encodeJpeg } from "@persona/vision";
import sharp from "sharp";
import type { CameraMetrics } from "./metrics.ts";
import { OVERLAY_COLORS, type OverlayItem, overlaySvg } from "./overlay.ts";
import { type Clock, systemClock } from "./pacing.ts";
import type { Frame, SourceStatus } from "./sources/types.ts";
import type { TrackNames } from "./trackNames.ts";

export interface LiveTrack {
  readonly trackId: string;
  readonly box: Box;
  readonly confirmed: boolean;
}

export interface LiveCameraInfo {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly kind: string;
  /** Redacted (no credentials). */
  readonly source: string;
}

export interface LiveViewOptions {
  cameras: readonly LiveCameraInfo[];
  names: TrackNames;
  /** Encoded frames per second per camera, at most. Default 10. */
  maxFps?: number;
  /** JPEG quality of live frames. Default 75. */
  jpegQuality?: number;
  /** Counters shown in /cameras, per camera (frames, tracks...). */
  stats?: (cameraId: string) => Record<string, number>;
  /** A client is skipped for a frame while this many bytes are still unsent to it. Default 2 MiB. */
  slowClientBytes?: number;
  log: Logger;
  metrics?: CameraMetrics;
  clock?: Clock;
}

interface CameraView {
  info: LiveCameraInfo;
  clients: Set<ServerResponse>;
  latest: { frame: Frame; tracks: readonly LiveTrack[] } | null;
  status: SourceStatus | null;
  encoding: boolean;
  timer: NodeJS.Timeout | null;
  lastEncodedAt: number;
  lastSentFrameNo: number;
  lastJpeg: { frameNo: number; jpeg: Buffer } | null;
}

const BOUNDARY = "persona-frame";

export class LiveView {
  readonly #cams = new Map<string, CameraView>();
  readonly #o: Required<Omit<LiveViewOptions, "metrics" | "stats">> & Pick<LiveViewOptions, "metrics" | "stats">;
  #server: Server | null = null;
  /** Whether SVG text renders here (checked once by `probeText`). */
  #text = true;

  constructor(options: LiveViewOptions) {
    this.#o = {
      maxFps: 10,
      jpegQuality: 75,
      slowClientBytes: 2 * 1024 * 1024,
      clock: systemClock,
      ...options,
    };
    for (const info of options.cameras) this.addCamera(info);
  }

  /** Shows a camera (again, with new details when it changed); its watchers stay connected. */
  addCamera(info: LiveCameraInfo): void {
    const shown = { id: info.id, name: info.name, role: info.role, kind: info.kind, source: redactSecrets(info.source) };
    const cam = this.#cams.get(info.id);
    if (cam) {
      cam.info = shown;
      return;
    }
    this.#cams.set(info.id, {
      info: shown,
      clients: new Set(),
      latest: null,
      status: null,
      encoding: false,
      timer: null,
      lastEncodedAt: Number.NEGATIVE_INFINITY,
      lastSentFrameNo: -1,
      lastJpeg: null,
    });
  }

  /** Stops showing a camera: its watchers' streams end. */
  removeCamera(id: string): void {
    const cam = this.#cams.get(id);
    if (!cam) return;
    if (cam.timer) clearTimeout(cam.timer);
    for (const res of cam.clients) res.end();
    this.#cams.delete(id);
  }

  /** Whether labels are drawn (false when no font could render text here). */
  get textEnabled(): boolean {
    return this.#text;
  }

  /** Renders a line of text once: if no pixel changes (no usable font) or librsvg fails, labels are turned off. */
  async probeText(): Promise<boolean> {
    try {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="24"><text x="2" y="18" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="16" fill="#fff">Ag</text></svg>`;
      const data = await sharp({ create: { width: 64, height: 24, channels: 3, background: "#000" } })
        .composite([{ input: Buffer.from(svg) }])
        .removeAlpha()
        .raw()
        .toBuffer();
      this.#text = data.some((v) => v > 64);
    } catch (err) {
      this.#o.log.warn({ err }, "SVG text does not render here: the live view draws boxes without labels");
      this.#text = false;
    }
    if (!this.#text) this.#o.log.warn("no font renders SVG text here: the live view draws boxes without labels");
    return this.#text;
  }

  /** A processed frame and the tracks seen in it. Never waits: encoding happens later, only if someone watches. */
  frame(cameraId: string, frame: Frame, tracks: readonly LiveTrack[]): void {
    const cam = this.#cams.get(cameraId);
    if (!cam) return;
    cam.latest = { frame, tracks };
    this.#pump(cam);
  }

  status(cameraId: string, status: SourceStatus): void {
    const cam = this.#cams.get(cameraId);
    if (cam) cam.status = status;
  }

  /** Clients watching a camera. */
  clients(cameraId: string): number {
    return this.#cams.get(cameraId)?.clients.size ?? 0;
  }

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => this.#route(req, res));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const cam of this.#cams.values()) {
      if (cam.timer) clearTimeout(cam.timer);
      for (const res of cam.clients) res.end();
      cam.clients.clear();
    }
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ rendering

  /** The JPEG of a frame with its tracks drawn. */
  async render(frame: Frame, tracks: readonly LiveTrack[]): Promise<Buffer> {
    const base = () => sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
    // without tracks, OpenCV's encoder (2x sharp's: image-ops.bench.ts); with them, sharp composites the SVG overlay
    // (its text renders any script, names in Cyrillic included; OpenCV's Hershey fonts are ASCII only)
    if (tracks.length === 0) return encodeJpeg(frame, this.#o.jpegQuality);
    const items = tracks.map((t) => this.#item(t, frame));
    try {
      const svg = overlaySvg(frame.width, frame.height, items, { text: this.#text });
      return await base()
        .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
        .jpeg({ quality: this.#o.jpegQuality })
        .toBuffer();
    } catch (err) {
      if (!this.#text) throw err;
      this.#o.log.warn({ err }, "drawing labels failed: the live view draws boxes without labels from now on");
      this.#text = false;
      const svg = overlaySvg(frame.width, frame.height, items, { text: false });
      return base()
        .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
        .jpeg({ quality: this.#o.jpegQuality })
        .toBuffer();
    }
  }

  #item(t: LiveTrack, frame: Frame): OverlayItem {
    const lineWidth = Math.max(2, Math.round(Math.max(frame.width, frame.height) / 400));
    const shortId = t.trackId.split("-").slice(-2).join("-");
    if (!t.confirmed) return { box: t.box, label: null, color: OVERLAY_COLORS.tentative, lineWidth: 1 };
    const name = this.#o.names.get(t.trackId);
    const color = name ? OVERLAY_COLORS[name.kind] : OVERLAY_COLORS.pending;
    const label = name ? `${name.label} #${shortId}` : `#${shortId}`;
    return { box: t.box, label, color, lineWidth };
  }

  /** Encodes the newest frame for the watchers when the rate allows; one encode at a time per camera. */
  #pump(cam: CameraView): void {
    if (cam.encoding || cam.clients.size === 0 || cam.latest === null || cam.timer !== null) return;
    if (cam.latest.frame.frameNo === cam.lastSentFrameNo) return;
    const now = this.#o.clock.now();
    const wait = cam.lastEncodedAt + 1000 / this.#o.maxFps - now;
    if (wait > 0) {
      cam.timer = setTimeout(() => {
        cam.timer = null;
        this.#pump(cam);
      }, wait);
      return;
    }
    const { frame, tracks } = cam.latest;
    cam.encoding = true;
    cam.lastEncodedAt = now;
    cam.lastSentFrameNo = frame.frameNo;
    this.render(frame, tracks)
      .then((jpeg) => {
        cam.lastJpeg = { frameNo: frame.frameNo, jpeg };
        this.#o.metrics?.liveFrames.inc({ camera: cam.info.id, outcome: "encoded" });
        for (const res of cam.clients) this.#send(cam, res, jpeg);
      })
      .catch((err: unknown) => this.#o.log.warn({ err, camera: cam.info.id }, "live frame could not be encoded"))
      .finally(() => {
        cam.encoding = false;
        this.#pump(cam);
      });
  }

  #send(cam: CameraView, res: ServerResponse, jpeg: Buffer): void {
    if (res.writableLength > this.#o.slowClientBytes) {
      // still busy with earlier frames: skip this one rather than queue it
      this.#o.metrics?.liveFrames.inc({ camera: cam.info.id, outcome: "dropped_slow_client" });
      return;
    }
    res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
    res.write(jpeg);
    res.write("\r\n");
  }

  // ------------------------------------------------------------------ HTTP

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/" || path === "/index.html") {
      this.#index(res);
      return;
    }
    if (path === "/cameras" || path === "/cameras/") {
      this.#json(
        res,
        200,
        [...this.#cams.values()].map((c) => this.#describe(c)),
      );
      return;
    }
    const m = /^\/cameras\/([A-Za-z0-9_-]+)(?:\/(live\.mjpeg|snapshot\.jpg))?\/?$/.exec(path);
    const cam = m ? this.#cams.get(m[1] as string) : undefined;
    if (!m || !cam) {
      this.#json(res, 404, { error: "not found", cameras: [...this.#cams.keys()] });
      return;
    }
    if (m[2] === undefined) this.#json(res, 200, this.#describe(cam));
    else if (m[2] === "live.mjpeg") this.#stream(cam, req, res);
    else void this.#snapshot(cam, res);
  }

  #describe(cam: CameraView) {
    const id = encodeURIComponent(cam.info.id);
    return {
      ...cam.info,
      state: cam.status?.state ?? "starting",
      message: cam.status?.message ?? "",
      attempt: cam.status?.attempt ?? 0,
      since: cam.status ? new Date(cam.status.at).toISOString() : null,
      watchers: cam.clients.size,
      lastFrameAt: cam.latest ? new Date(cam.latest.frame.capturedAt).toISOString() : null,
      frameSize: cam.latest ? { width: cam.latest.frame.width, height: cam.latest.frame.height } : null,
      stats: this.#o.stats?.(cam.info.id) ?? {},
      live: `/cameras/${id}/live.mjpeg`,
      snapshot: `/cameras/${id}/snapshot.jpg`,
    };
  }

  #stream(cam: CameraView, req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      "cache-control": "no-cache, no-store, must-revalidate",
      pragma: "no-cache",
      "x-accel-buffering": "no",
      connection: "close",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    cam.clients.add(res);
    this.#o.metrics?.liveClients.set({ camera: cam.info.id }, cam.clients.size);
    const gone = () => {
      cam.clients.delete(res);
      this.#o.metrics?.liveClients.set({ camera: cam.info.id }, cam.clients.size);
    };
    res.once("close", gone);
    res.once("error", gone);
    // the last picture at once (a paused or slow camera still shows something), then the newest frames
    if (cam.lastJpeg) this.#send(cam, res, cam.lastJpeg.jpeg);
    this.#pump(cam);
  }

  async #snapshot(cam: CameraView, res: ServerResponse): Promise<void> {
    const latest = cam.latest;
    if (!latest) {
      this.#json(res, 503, { error: "no frame yet", state: cam.status?.state ?? "starting", message: cam.status?.message ?? "" });
      return;
    }
    try {
      const jpeg =
        cam.lastJpeg?.frameNo === latest.frame.frameNo ? cam.lastJpeg.jpeg : await this.render(latest.frame, latest.tracks);
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": jpeg.length, "cache-control": "no-store" }).end(jpeg);
    } catch (err) {
      this.#o.log.warn({ err, camera: cam.info.id }, "snapshot could not be encoded");
      this.#json(res, 500, { error: "snapshot could not be encoded" });
    }
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
  }

  #index(res: ServerResponse): void {
    const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
    const cams = [...this.#cams.values()]
      .map((c) => {
        const id = encodeURIComponent(c.info.id);
        return `<figure><img src="/cameras/${id}/live.mjpeg" alt="${esc(c.info.name)}"><figcaption>${esc(c.info.name)} (${esc(c.info.role)})</figcaption></figure>`;
      })
      .join("\n");
    const html = `<!doctype html><meta charset="utf-8"><title>Persona-ID cameras</title><style>body{font-family:sans-serif;background:#111;color:#eee}figure{display:inline-block;margin:8px}img{max-width:640px;display:block;background:#222}</style><h1>Cameras</h1>${cams || "<p>No cameras configured (CAMERAS).</p>"}`;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  }
}
