import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ErrorBody, notFound } from "../http/errors.ts";
import { Camera, items } from "../http/schemas.ts";
import { type LiveSource, firstFrame, proxyLive, redactUrl } from "../liveProxy.ts";

const CameraParams = z.object({ cameraId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "a camera id") });

/**
 * GET /cameras: each camera's status, role and live view URL; GET /cameras/:cameraId/live (MJPEG) and /snapshot (one
 * JPEG): the camera service's annotated view through the portal, behind the session (see liveProxy.ts).
 */
export function cameraRoutes(api: Api, c: PortalContext): void {
  /** The cameras the portal knows: announced on the bus, named in the rules, or given a live URL. */
  const knownIds = async (): Promise<string[]> => {
    // the cameras are known from the read model: with NATS away and no rules read yet, they come without rule roles
    const rules = await c.rules.get().catch(() => ({ cameras: {} as Record<string, { role?: string }> }));
    return [...new Set([...c.cameras.cameras.keys(), ...Object.keys(rules.cameras), ...c.live.overridden])].sort();
  };
  const sourceOf = async (cameraId: string): Promise<LiveSource> => {
    if (!(await knownIds()).includes(cameraId)) throw notFound(`camera ${cameraId}`);
    const source = c.live.of(cameraId);
    if (!source) throw notFound(`a live view of camera ${cameraId} (PORTAL_LIVE_URLS or PORTAL_CAMERA_LIVE_URL)`);
    return source;
  };

  api.add({
    method: "get",
    path: "/cameras",
    summary: "Cameras: status, role, live view URL",
    tag: "cameras",
    role: "viewer",
    responses: { 200: items(Camera) },
    async handler() {
      const rules = await c.rules.get().catch(() => ({ cameras: {} as Record<string, { role?: string }> }));
      const out = (await knownIds()).map((id) => {
        const v = c.cameras.cameras.get(id);
        const source = c.live.of(id);
        return {
          cameraId: id,
          status: v?.status ?? "unknown",
          role: rules.cameras[id]?.role ?? v?.role ?? null,
          lastChangeAt: v?.lastChangeAt ?? null,
          // where the portal takes the view from, without credentials; browsers use /cameras/{cameraId}/live
          liveUrl: source ? redactUrl(source.live) : null,
        };
      });
      return { status: 200, body: { items: out } };
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
