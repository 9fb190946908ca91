/**
 * The cameras' live views through the portal: the camera service's annotated MJPEG (boxes, track ids, names) is
 * proxied behind the session, so the browser needs neither the camera's port nor its credentials.
 *
 * Where each camera's view is: `PORTAL_LIVE_URLS` (camera id -> MJPEG URL, an override per camera), else
 * `PORTAL_CAMERA_LIVE_URL` (the camera service's live view root; `persona run` sets it from LIVE_PORT): camera X is
 * `<root>/cameras/X/live.mjpeg` and `<root>/cameras/X/snapshot.jpg`. The URLs may carry credentials: they are sent
 * upstream only, never shown (the browser learns only `hasLiveView`) nor logged.
 */
import { type ClientRequest, type IncomingMessage, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Response } from "express";
import { ApiError } from "./http/errors.ts";

export interface LiveSource {
  /** The MJPEG stream (multipart/x-mixed-replace). */
  live: URL;
  /** One annotated JPEG, where the camera service serves it; else the stream's first frame is taken. */
  snapshot: URL | null;
}

export class LiveSources {
  readonly #overrides: Record<string, string>;
  readonly #root: string | null;

  constructor(o: { liveUrls?: Record<string, string>; cameraLiveUrl?: string | null }) {
    this.#overrides = o.liveUrls ?? {};
    this.#root = o.cameraLiveUrl ? o.cameraLiveUrl.replace(/\/+$/, "") : null;
  }

  /** Cameras with a live URL of their own (PORTAL_LIVE_URLS). */
  get overridden(): string[] {
    return Object.keys(this.#overrides);
  }

  /** Whether cameras without an override get the camera service's URL. */
  get hasRoot(): boolean {
    return this.#root !== null;
  }

  /** A known camera's source, or null when no live view is configured for it. */
  of(cameraId: string): LiveSource | null {
    const own = this.#overrides[cameraId];
    if (own !== undefined) {
      const live = new URL(own);
      const snap = /\/live\.mjpeg$/.test(live.pathname) ? new URL(live.href) : null;
      if (snap) snap.pathname = snap.pathname.replace(/\/live\.mjpeg$/, "/snapshot.jpg");
      return { live, snapshot: snap };
    }
    if (this.#root === null) return null;
    const base = `${this.#root}/cameras/${encodeURIComponent(cameraId)}`;
    return { live: new URL(`${base}/live.mjpeg`), snapshot: new URL(`${base}/snapshot.jpg`) };
  }
}

/** How long the camera service has to answer (response headers) before the request counts as unreachable. */
export const UPSTREAM_TIMEOUT_MS = 5000;

/** Opens `url` (GET); resolves with the answer's headers, rejects with an ApiError naming the camera, never the URL. */
export function openUpstream(
  url: URL,
  cameraId: string,
  timeoutMs = UPSTREAM_TIMEOUT_MS,
): Promise<{ res: IncomingMessage; req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    // a URL with user:password@ becomes Basic auth (Node takes it from the URL), never a header we log
    const req = send(url, { method: "GET", headers: { accept: "multipart/x-mixed-replace, image/jpeg" } });
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error("no answer"), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    req.once("response", (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if (status === 200) return resolve({ res, req });
      res.resume();
      req.destroy();
      if (status === 404) reject(new ApiError(404, "not-found", `the camera service has no live view of camera ${cameraId}`));
      else if (status === 503)
        reject(new ApiError(503, "camera-not-ready", `camera ${cameraId} has no picture yet (its source is starting or down)`));
      else reject(new ApiError(502, "camera-error", `the camera service answered ${status} for camera ${cameraId}`));
    });
    req.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new ApiError(
          502,
          "camera-unreachable",
          `the live view of camera ${cameraId} is unreachable (${err.code ?? "error"}): is the camera service running?`,
        ),
      );
    });
    req.end();
  });
}

/**
 * Streams the camera's MJPEG to `res` until either side leaves: the browser closing (page left, <img> removed) closes
 * the upstream connection at once; the camera service ending ends the answer. `stillAllowed` is asked every
 * `recheckMs` and ends the stream once the session is gone.
 */
export async function proxyLive(
  source: URL,
  cameraId: string,
  res: Response,
  o: { stillAllowed?: () => Promise<boolean>; recheckMs?: number } = {},
): Promise<void> {
  let closed = false;
  const onEarlyClose = () => {
    closed = true;
  };
  res.once("close", onEarlyClose);
  const { res: up, req } = await openUpstream(source, cameraId);
  res.off("close", onEarlyClose);
  if (closed) {
    req.destroy();
    return;
  }
  res.status(200);
  res.setHeader("Content-Type", up.headers["content-type"] ?? "multipart/x-mixed-replace");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(timer);
    req.destroy();
    up.destroy();
    if (!res.writableEnded) res.end();
  };
  res.once("close", stop);
  up.once("end", stop);
  up.once("error", stop);
  up.pipe(res, { end: false });
  if (o.stillAllowed) {
    timer = setInterval(() => {
      void o
        .stillAllowed?.()
        .then((ok) => {
          if (!ok) stop();
        })
        .catch(() => undefined);
    }, o.recheckMs ?? 30_000);
    timer.unref();
  }
}

/** The first JPEG of an MJPEG stream (by its part's Content-Length, else from SOI to EOI); the stream is closed. */
export async function firstFrame(source: URL, cameraId: string, timeoutMs = 10_000): Promise<Buffer> {
  const { res, req } = await openUpstream(source, cameraId);
  const type = String(res.headers["content-type"] ?? "");
  return new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | null, jpeg?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      res.destroy();
      if (err) reject(err);
      else resolve(jpeg as Buffer);
    };
    const timer = setTimeout(
      () => finish(new ApiError(503, "camera-not-ready", `no picture from camera ${cameraId} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    res.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (type.startsWith("image/jpeg")) return;
      const jpeg = jpegIn(buf);
      if (jpeg) finish(null, jpeg);
      else if (buf.length > 16 * 1024 * 1024) finish(new ApiError(502, "camera-error", `camera ${cameraId} sent no JPEG`));
    });
    res.once("end", () => {
      if (type.startsWith("image/jpeg") && buf.length > 0) finish(null, buf);
      else finish(new ApiError(502, "camera-error", `the live view of camera ${cameraId} ended before a picture`));
    });
    res.once("error", () => finish(new ApiError(502, "camera-unreachable", `the live view of camera ${cameraId} broke off`)));
  });
}

/** A whole JPEG in the start of a multipart MJPEG body, or null while more bytes are needed. */
export function jpegIn(buf: Buffer): Buffer | null {
  const soi = buf.indexOf(Buffer.from([0xff, 0xd8]));
  if (soi < 0) return null;
  const head = buf.subarray(0, soi).toString("latin1");
  const length = /content-length:\s*(\d+)/i.exec(head);
  if (length) {
    const n = Number(length[1]);
    return buf.length >= soi + n ? Buffer.from(buf.subarray(soi, soi + n)) : null;
  }
  // entropy-coded data stuffs every 0xFF with 0x00, so the first FF D9 after the SOI ends the picture
  const eoi = buf.indexOf(Buffer.from([0xff, 0xd9]), soi + 2);
  return eoi < 0 ? null : Buffer.from(buf.subarray(soi, eoi + 2));
}
