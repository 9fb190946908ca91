import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { Camera, items } from "../http/schemas.ts";

/** GET /cameras: each camera's status, role and live view URL. */
export function cameraRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/cameras",
    summary: "Cameras: status, role, live view URL",
    tag: "cameras",
    role: "viewer",
    responses: { 200: items(Camera) },
    async handler() {
      // the cameras are known from the read model: with NATS away and no rules read yet, they come without rule roles
      const rules = await c.rules.get().catch(() => ({ cameras: {} as Record<string, { role?: string }> }));
      const ids = new Set([...c.cameras.cameras.keys(), ...Object.keys(rules.cameras), ...Object.keys(c.liveUrls)]);
      const out = [...ids].sort().map((id) => {
        const v = c.cameras.cameras.get(id);
        return {
          cameraId: id,
          status: v?.status ?? "unknown",
          role: rules.cameras[id]?.role ?? v?.role ?? null,
          lastChangeAt: v?.lastChangeAt ?? null,
          liveUrl: c.liveUrls[id] ?? null,
        };
      });
      return { status: 200, body: { items: out } };
    },
  });
}
