import { type CameraRole, inferSourceKind, isTrialCamera, redactSecrets } from "@persona/contracts";
import { z } from "zod";
import { isStale } from "../cameraConfig.ts";
import type { PortalContext } from "../context.ts";
import { type Api, hasRole } from "../http/api.ts";
import { ApiError, ErrorBody, badRequest, notFound } from "../http/errors.ts";
import { Camera, CameraChange, NewCamera, items } from "../http/schemas.ts";
import { type LiveSource, firstFrame, proxyLive } from "../liveProxy.ts";

const CameraParams = z.object({ cameraId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "a camera id") });

type CameraOut = z.infer<typeof Camera>;

/** Last statuses after which a camera runs nowhere. */
const GONE: ReadonlySet<string> = new Set(["stopped", "ended"]);

/** Everything the portal knows about its cameras, joined: managed entries, camera services' reports, status events,
 * rule roles and live URLs. */
async function cameraViews(c: PortalContext, admin: boolean, only?: string): Promise<CameraOut[]> {
  const now = Date.now();
  // one camera (a live view, a write): its own two KV entries, not every camera's
  const one = async <T>(get: () => Promise<T | null>) => {
    // NATS away: the camera is known from the status events, the rules or its live URL, as in the list
    const v = await get().catch(() => null);
    return new Map<string, T>(v === null || only === undefined ? [] : [[only, v]]);
  };
  const [entries, reports, rules] = await Promise.all([
    only === undefined ? c.cameraConfig.list() : one(() => c.cameraConfig.get(only)),
    only === undefined ? c.cameraConfig.reports() : one(() => c.cameraConfig.report(only)),
    c.rules.get().catch(() => ({ cameras: {} as Record<string, { role?: CameraRole }> })),
  ]);
  const all = new Set([
    ...entries.keys(),
    ...reports.keys(),
    ...c.cameras.cameras.keys(),
    ...Object.keys(rules.cameras),
    ...c.live.overridden,
  ]);
  const ids = only === undefined ? all : new Set(all.has(only) ? [only] : []);
  const out: CameraOut[] = [];
  for (const id of [...ids].sort()) {
    const entry = entries.get(id)?.entry;
    const report = reports.get(id);
    const stale = report ? isStale(report, now) : false;
    // a trial camera (persona watch) is shown only while its service reports it: a killed watch leaves nothing
    if (isTrialCamera(id) && (!report || stale)) continue;
    const event = c.cameras.cameras.get(id);
    // known only from its last status event, which says it stopped: removed, or its camera service ended cleanly
    if (!entry && !report && !rules.cameras[id] && !c.live.overridden.includes(id) && GONE.has(event?.status ?? "")) continue;
    const status = report
      ? stale
        ? "not reporting"
        : report.state
      : entry?.enabled === false
        ? "disabled"
        : (event?.status ?? "unknown");
    out.push({
      cameraId: id,
      name: entry?.name ?? report?.name ?? id,
      status,
      role: rules.cameras[id]?.role ?? entry?.role ?? report?.role ?? event?.role ?? null,
      lastChangeAt: event?.lastChangeAt ?? null,
      origin: report?.origin ?? (entry?.source !== undefined ? "managed" : null),
      managed: entry?.source !== undefined,
      enabled: entry?.enabled ?? report?.enabled ?? true,
      kind: entry?.source !== undefined ? (entry.kind ?? inferSourceKind(entry.source)) : (report?.kind ?? null),
      source: admin ? (entry?.source !== undefined ? redactSecrets(entry.source) : (report?.source ?? null)) : null,
      group: entry?.group ?? report?.group ?? null,
      detectFps: entry?.detectFps ?? report?.detectFps ?? null,
      zone: entry?.zone !== undefined ? entry.zone : (report?.zone ?? null),
      loop: entry?.loop ?? null,
      hasLiveView: c.live.of(id) !== null,
      health: report
        ? {
            fps: stale ? 0 : report.fps,
            framesProcessed: report.framesProcessed,
            lastFrameAt: report.lastFrameAt,
            lastError: report.lastError,
            lastErrorAt: report.lastErrorAt,
            reconnects: report.reconnects,
            message: report.message,
            reporter: report.reporter,
            updatedAt: report.updatedAt,
            stale,
          }
        : null,
    });
  }
  return out;
}

/**
 * GET /cameras: each camera's settings and health; GET /cameras/:cameraId/live (MJPEG) and /snapshot (one JPEG): the
 * camera service's annotated view through the portal, behind the session (see liveProxy.ts).
 */
export function cameraRoutes(api: Api, c: PortalContext): void {
  const sourceOf = async (cameraId: string): Promise<LiveSource> => {
    const known = (await cameraViews(c, false, cameraId)).length > 0;
    if (!known) throw notFound(`camera ${cameraId}`);
    const source = c.live.of(cameraId);
    if (!source) throw notFound(`a live view of camera ${cameraId} (PORTAL_LIVE_URLS or PORTAL_CAMERA_LIVE_URL)`);
    return source;
  };

  api.add({
    method: "get",
    path: "/cameras",
    summary: "Cameras: settings, state and health (fps, last frame, last error, reconnects)",
    tag: "cameras",
    role: "viewer",
    responses: { 200: items(Camera) },
    async handler({ session }) {
      const admin = session !== null && hasRole(session.role, "admin");
      return { status: 200, body: { items: await cameraViews(c, admin) } };
    },
  });

  api.add({
    method: "get",
    path: "/cameras/:cameraId/live",
    summary: "A camera's live view: the camera service's annotated MJPEG (boxes and names), streamed until the client leaves",
    tag: "cameras",
    role: "viewer",
    params: CameraParams,
    responses: {
      200: {
        contentType: "multipart/x-mixed-replace",
        description: "JPEG frames, each a part, as the camera service sends them",
      },
      404: ErrorBody,
      502: ErrorBody,
      503: ErrorBody,
    },
    async handler({ params, session, res }) {
      const source = await sourceOf(params.cameraId);
      await proxyLive(source.live, params.cameraId, res, {
        // a stream outlives no session: logout, expiry or a removed user end it within 30 s
        stillAllowed: async () =>
          session !== null &&
          (await c.sessions.get(session.id)) !== undefined &&
          (await c.users.repo.get(session.userId)) !== undefined,
      });
      return null;
    },
  });

  api.add({
    method: "get",
    path: "/cameras/:cameraId/snapshot",
    summary: "A camera's latest annotated picture (one JPEG)",
    tag: "cameras",
    role: "viewer",
    params: CameraParams,
    responses: {
      200: { contentType: "image/jpeg", description: "the latest processed frame with boxes and names" },
      404: ErrorBody,
      502: ErrorBody,
      503: ErrorBody,
    },
    async handler({ params, res }) {
      const source = await sourceOf(params.cameraId);
      const jpeg = await firstFrame(source.snapshot ?? source.live, params.cameraId);
      res.status(200).type("image/jpeg").send(jpeg);
      return null;
    },
  });
}

/** POST/PATCH/DELETE /cameras (admin): cameras managed at run time (cameraConfig.ts; the camera services follow them). */
export function cameraAdminRoutes(api: Api, c: PortalContext): void {
  const viewOf = async (cameraId: string, admin: boolean): Promise<CameraOut> => {
    const [v] = await cameraViews(c, admin, cameraId);
    // just written, the entry is listed even before any service reports it; gone only if removed meanwhile
    if (!v) throw notFound(`camera ${cameraId} (removed meanwhile)`);
    return v;
  };

  api.add({
    method: "post",
    path: "/cameras",
    summary: "Add a camera (admin): the camera services of its group start it within seconds, no restart",
    tag: "cameras",
    role: "admin",
    body: NewCamera,
    responses: { 201: Camera, 400: ErrorBody, 409: ErrorBody },
    async handler({ body, session }) {
      const [known] = await cameraViews(c, true, body.id);
      if (known && !known.managed) {
        throw new ApiError(409, "conflict", `camera ${body.id} exists (from a camera service's CAMERAS): edit it instead`);
      }
      const by = session?.username ?? "?";
      await c.cameraConfig.create({ ...body, updatedAt: new Date().toISOString(), updatedBy: by });
      c.log.info({ camera: body.id, kind: inferSourceKind(body.source), by }, "camera added");
      return { status: 201, body: await viewOf(body.id, true) };
    },
  });

  api.add({
    method: "patch",
    path: "/cameras/:cameraId",
    summary: "Change a camera (admin): name, role, rate, zone, enabled; a managed camera's source too",
    tag: "cameras",
    role: "admin",
    params: CameraParams,
    body: CameraChange,
    responses: { 200: Camera, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    async handler({ params, body, session }) {
      const id = params.cameraId;
      const stored = await c.cameraConfig.get(id);
      const by = session?.username ?? "?";
      if (stored?.entry.source === undefined) {
        // a bootstrap camera: an override entry of its settings
        const report = await c.cameraConfig.report(id);
        if (!stored && report?.origin !== "bootstrap") throw notFound(`camera ${id}`);
        const sourceKeys = (["source", "kind", "loop", "realtime", "group"] as const).filter((k) => body[k] !== undefined);
        if (sourceKeys.length > 0) {
          throw badRequest(`${sourceKeys.join(", ")}: camera ${id} is a bootstrap camera: its camera service's CAMERAS sets it`);
        }
      }
      const next = { ...(stored?.entry ?? { id }), ...body, id, updatedAt: new Date().toISOString(), updatedBy: by };
      await c.cameraConfig.replace(next, stored?.revision ?? null);
      c.log.info({ camera: id, changed: Object.keys(body), by }, "camera changed");
      return { status: 200, body: await viewOf(id, true) };
    },
  });

  api.add({
    method: "delete",
    path: "/cameras/:cameraId",
    summary: "Remove a managed camera (admin), or a bootstrap camera's console settings; its camera service stops it",
    tag: "cameras",
    role: "admin",
    params: CameraParams,
    responses: { 204: { contentType: "text/plain", description: "removed" }, 404: ErrorBody, 409: ErrorBody },
    async handler({ params, session }) {
      const id = params.cameraId;
      const stored = await c.cameraConfig.get(id);
      if (!stored) {
        if ((await c.cameraConfig.report(id))?.origin === "bootstrap") {
          throw new ApiError(409, "conflict", `camera ${id} comes from a camera service's CAMERAS: disable it instead`);
        }
        throw notFound(`camera ${id}`);
      }
      await c.cameraConfig.remove(id, stored.revision);
      c.log.info({ camera: id, by: session?.username ?? "?" }, stored.entry.source ? "camera removed" : "camera settings reset");
      return { status: 204 };
    },
  });
}
