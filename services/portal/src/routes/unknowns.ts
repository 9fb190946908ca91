import type { SightingDoc } from "@persona/store";
import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { EnrollResult, Id, Sighting, limit } from "../http/schemas.ts";
import { sightingsOf } from "../views/sightings.ts";
import { NewPerson, type Photo, activePerson, enroll, newPersonId } from "./enroll.ts";

const SightingParams = z.object({ sightingId: Id });

/** /unknowns: unknown sightings not yet dealt with, enrolled as a new person or assigned to one. */
export function unknownRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/unknowns",
    summary: "Unknown sightings not yet dealt with, newest first",
    tag: "unknowns",
    role: "viewer",
    query: z.object({ limit: limit(50, 500) }),
    responses: { 200: z.object({ items: z.array(Sighting) }) },
    async handler({ query }) {
      const out: SightingDoc[] = [];
      let skip = 0;
      while (out.length < query.limit) {
        const batch = await c.models.sightings.list({ kind: "unknown", limit: 200, skip });
        if (batch.length === 0) break;
        for (const s of batch) if (out.length < query.limit && !(await c.resolvedUnknowns.get(s.id))) out.push(s);
        skip += batch.length;
      }
      return { status: 200, body: { items: await sightingsOf(c, out) } };
    },
  });

  const cropPhoto = async (sightingId: string): Promise<Photo> => {
    const s = await c.models.sightings.get(sightingId);
    if (s?.kind !== "unknown") throw notFound(`unknown sighting ${sightingId}`);
    if (await c.resolvedUnknowns.get(sightingId)) throw new ApiError(409, "resolved", "this sighting was already dealt with");
    const crop = await c.media.sightingCrop(sightingId);
    if (!crop) throw new ApiError(409, "no-crop", "the sighting's crop is no longer stored");
    return { file: `sighting-${sightingId}.jpg`, bytes: crop.bytes };
  };
  const markResolved = async (sightingId: string, by: string, personId: string) => {
    await c.resolvedUnknowns.put({ id: sightingId, by, at: new Date().toISOString(), personId });
  };

  api.add({
    method: "post",
    path: "/unknowns/:sightingId/enroll",
    summary: "Enroll an unknown sighting's crop as a new person",
    tag: "unknowns",
    role: "operator",
    params: SightingParams,
    body: NewPerson,
    responses: { 201: EnrollResult, 422: EnrollResult },
    async handler({ params, body, session }) {
      const photo = await cropPhoto(params.sightingId);
      const by = session?.username ?? "?";
      const r = await enroll(
        c,
        by,
        { personId: newPersonId(), existing: false, name: body.name, description: body.description, sound: null },
        [photo],
      );
      if (r.body.enrolled) await markResolved(params.sightingId, by, r.body.personId);
      return r;
    },
  });

  api.add({
    method: "post",
    path: "/unknowns/:sightingId/assign",
    summary: "This unknown is person X: the crop becomes a template of that person",
    tag: "unknowns",
    role: "operator",
    params: SightingParams,
    body: z.object({ personId: Id }),
    responses: { 200: EnrollResult, 422: EnrollResult },
    async handler({ params, body, session }) {
      const p = await activePerson(c, body.personId);
      const photo = await cropPhoto(params.sightingId);
      const by = session?.username ?? "?";
      const r = await enroll(c, by, { personId: p.id, existing: true, name: p.name, description: p.description, sound: null }, [
        photo,
      ]);
      if (r.body.enrolled) await markResolved(params.sightingId, by, p.id);
      return r;
    },
  });
}
