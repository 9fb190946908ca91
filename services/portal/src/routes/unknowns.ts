import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, notFound } from "../http/errors.ts";
import {
  EnrollResult,
  Id,
  type UnknownResolution,
  type UnknownTrack,
  type UnknownVisitor,
  UnknownsPage,
  limit,
} from "../http/schemas.ts";
import { cropKeyOf } from "../media.ts";
import { trackKey } from "../projections/readModels.ts";
import { currentVisitor, decisionId } from "../projections/visitors.ts";
import { conclusionsOf } from "../views/sightings.ts";
import { NewPerson, type Photo, activePerson, enroll, newPersonId } from "./enroll.ts";

const SightingParams = z.object({ sightingId: Id });

type Resolution = z.infer<typeof UnknownResolution>;
type VisitorView = z.infer<typeof UnknownVisitor>;
const TrackStatus = z.enum(["open", "closed", "all"]);
/** The id under which an enrolled track is kept in `resolvedUnknowns` (beside its shot's sighting id). */
const resolvedTrackId = (key: string) => `track:${key}`;

/**
 * One page of unknown tracks, newest last seen first, from the `unknown_tracks` read model (scanned in pages of
 * 200 by its `lastSeen` index; `cursor` is the offset in that order), each with its visitor and whether it is closed.
 */
async function unknownTracks(c: PortalContext, q: { limit: number; status: z.infer<typeof TrackStatus>; cursor: number }) {
  const names = new Map<string, string | null>();
  const nameOf = async (personId: string) => {
    if (!names.has(personId)) names.set(personId, (await c.models.people.get(personId))?.name ?? null);
    return names.get(personId) ?? null;
  };
  const enrolledOf = async (ids: string[]): Promise<Map<string, Resolution>> => {
    const out = new Map<string, Resolution>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const r of await c.resolvedUnknowns.find({ id: { $in: ids.slice(i, i + 500) } })) {
        out.set(r.id, {
          kind: "enrolled",
          personId: r.personId,
          name: r.personId ? await nameOf(r.personId) : null,
          by: r.by,
          at: r.at,
        });
      }
    }
    return out;
  };
  const visitors = new Map<string, VisitorView | null>();
  const visitorOf = async (visitorId: string): Promise<VisitorView | null> => {
    if (visitors.has(visitorId)) return visitors.get(visitorId) ?? null;
    const v = await currentVisitor(c.models, visitorId);
    let view: VisitorView | null = null;
    if (v) {
      let resolution: Resolution | null = null;
      let status: VisitorView["status"] = v.status;
      if (v.decision) {
        const d = v.decision;
        resolution = {
          kind: d.kind,
          personId: d.personId,
          name: d.personId ? ((await nameOf(d.personId)) ?? d.personName) : null,
          by: d.by,
          at: d.at,
        };
      } else {
        const tracks = await c.models.visitorTracks.find({ visitorId: { $in: [v.id, ...v.absorbed] } });
        const enrolled = [...(await enrolledOf(tracks.map((t) => resolvedTrackId(t.id)))).values()];
        if (enrolled[0]) {
          status = "enrolled";
          resolution = enrolled[0];
        }
      }
      view = {
        visitorId: v.id,
        status,
        faces: v.faces,
        visits: v.visits,
        firstSeen: v.firstSeen,
        lastSeen: v.lastSeen,
        cameras: v.cameras,
        resolution,
      };
    }
    visitors.set(visitorId, view);
    if (view) visitors.set(view.visitorId, view);
    return view;
  };

  const items: z.infer<typeof UnknownTrack>[] = [];
  const listed = new Map<string, VisitorView>();
  let offset = q.cursor;
  let next: number | null = null;
  for (;;) {
    const batch = await c.models.unknownTracks.find({}, { sort: { lastSeen: -1 }, limit: 200, skip: offset });
    const keys = batch.map((t) => t.id);
    const own = await enrolledOf(keys.map(resolvedTrackId));
    const conclusions = await conclusionsOf(c, batch);
    const owners = new Map((await c.models.visitorTracks.find({ id: { $in: keys } })).map((t) => [t.id, t.visitorId]));
    for (const [i, t] of batch.entries()) {
      if (items.length === q.limit) {
        next = offset + i;
        break;
      }
      const best = await c.models.sightings.get(t.best.sightingId);
      if (!best) continue; // its shots expired with the sightings
      const owner = owners.get(t.id);
      const visitor = owner === undefined ? null : await visitorOf(owner);
      const resolution = own.get(resolvedTrackId(t.id)) ?? (visitor?.status === "open" ? null : (visitor?.resolution ?? null));
      const status = resolution ? "closed" : "open";
      if (q.status !== "all" && q.status !== status) continue;
      const concluded = conclusions.get(t.id);
      items.push({
        trackKey: t.id,
        cameraId: t.cameraId,
        trackId: t.trackId,
        shots: t.shots,
        firstSeen: t.firstSeen,
        lastSeen: t.lastSeen,
        best: { sightingId: t.best.sightingId, quality: t.best.quality, at: t.best.at, cropKey: cropKeyOf(best.id, best.cropId) },
        nearest: t.nearest && {
          personId: t.nearest.personId,
          name: await nameOf(t.nearest.personId),
          score: t.nearest.similarity,
        },
        concluded: concluded ? { outcome: concluded.outcome, endedAt: concluded.endedAt } : null,
        visitorId: visitor?.visitorId ?? null,
        status,
        resolution,
      });
      if (visitor) listed.set(visitor.visitorId, visitor);
    }
    if (next !== null || batch.length < 200) break;
    offset += batch.length;
  }
  return { items, visitors: [...listed.values()], next };
}

/**
 * /unknowns: unknown faces by track (one card per camera pass, grouped under the trainer's visitors), each enrolled
 * as a new person or assigned to one from a shot's crop.
 */
export function unknownRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/unknowns",
    summary: "Unknown tracks, newest last seen first, with their visitors; by default those not yet dealt with",
    tag: "unknowns",
    role: "viewer",
    query: z.object({
      limit: limit(50, 500),
      /** open (default): not enrolled and their visitor neither named nor ignored; closed; all. */
      status: TrackStatus.default("open"),
      cursor: z.coerce.number().int().min(0).default(0),
    }),
    responses: { 200: UnknownsPage },
    async handler({ query }) {
      return { status: 200, body: await unknownTracks(c, query) };
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
  const enrollNew = async (sightingId: string, body: z.infer<typeof NewPerson>, by: string) => {
    const photo = await cropPhoto(sightingId);
    const r = await enroll(
      c,
      by,
      { personId: newPersonId(), existing: false, name: body.name, description: body.description, sound: null },
      [photo],
    );
    if (r.body.enrolled) await markResolved(sightingId, by, { id: r.body.personId, name: body.name });
    return r;
  };
  /** The shot and its track are dealt with (the track's card, and its visitor unless named or ignored, close). */
  const markResolved = async (sightingId: string, by: string, person: { id: string; name: string }) => {
    const at = new Date().toISOString();
    const s = await c.models.sightings.get(sightingId);
    await c.resolvedUnknowns.put({ id: sightingId, by, at, personId: person.id });
    if (!s) return;
    const key = trackKey(s.cameraId, s.trackId);
    await c.resolvedUnknowns.put({ id: resolvedTrackId(key), by, at, personId: person.id });
    await nameVisitorOf(key, by, person);
  };
  /** The visitor the trainer clustered this track into is this person now: VisitorNamed closes it (and the trainer
   * adds its best faces to the person, as when the visitor is named on the Visitors page). */
  const nameVisitorOf = async (key: string, by: string, person: { id: string; name: string }) => {
    const owner = await c.models.visitorTracks.get(key);
    const v = owner ? await currentVisitor(c.models, owner.visitorId) : undefined;
    if (v?.status !== "open") return;
    const env = c.bus.envelope(
      "VisitorNamed",
      { visitorId: v.id, personId: person.id, existing: true, name: person.name, by },
      { id: decisionId(v.id) },
    );
    await c.bus.publish(env);
    c.log.info({ visitorId: v.id, personId: person.id, by }, "visitor closed: its track was enrolled");
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
      return enrollNew(params.sightingId, body, session?.username ?? "?");
    },
  });

  api.add({
    method: "post",
    path: "/unknowns/tracks/:cameraId/:trackId/enroll",
    summary: "Enroll an unknown track's best shot as a new person (a walk-in at an event, an unknown in a session's view)",
    tag: "unknowns",
    role: "operator",
    params: z.object({ cameraId: Id, trackId: Id }),
    body: NewPerson,
    responses: { 201: EnrollResult, 422: EnrollResult },
    async handler({ params, body, session }) {
      const t = await c.models.unknownTracks.get(trackKey(params.cameraId, params.trackId));
      if (!t) throw notFound(`unknown track ${params.trackId} of camera ${params.cameraId}`);
      return enrollNew(t.best.sightingId, body, session?.username ?? "?");
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
      if (r.body.enrolled) await markResolved(params.sightingId, by, { id: p.id, name: p.name });
      return r;
    },
  });
}
