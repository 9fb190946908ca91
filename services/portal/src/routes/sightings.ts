import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { Id, Sighting, items, limit } from "../http/schemas.ts";
import { sightingsOf } from "../views/sightings.ts";

const Time = z.iso.datetime({ offset: true });

/** GET /sightings: the sightings read model, newest first. */
export function sightingRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/sightings",
    summary: "Sightings, newest first, by camera, person and time",
    tag: "sightings",
    role: "viewer",
    query: z.object({
      cameraId: Id.optional(),
      personId: Id.optional(),
      from: Time.optional(),
      to: Time.optional(),
      limit: limit(100, 1000),
    }),
    responses: { 200: items(Sighting) },
    async handler({ query }) {
      const docs = await c.models.sightings.list(query);
      return { status: 200, body: { items: await sightingsOf(c, docs) } };
    },
  });
}
