import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { PresenceItem, items } from "../http/schemas.ts";
import { presenceItems } from "../views/presence.ts";

/** GET /presence: who is in view now (the live push sends the same items per camera). */
export function presenceRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/presence",
    summary: "Who is in view now",
    tag: "sightings",
    role: "viewer",
    responses: { 200: items(PresenceItem) },
    async handler() {
      return { status: 200, body: { items: await presenceItems(c.models, undefined, c.cameras) } };
    },
  });
}
