import { randomBytes } from "node:crypto";
import { type BlobRef, PersonName } from "@persona/contracts";
import { EnrollmentTimeoutError } from "@persona/library";
import type { PersonDoc, SightingDoc } from "@persona/store";
import { z } from "zod";
import { type PortalContext, projected } from "../context.ts";
import type { Api, Upload } from "../http/api.ts";
import { ApiError, forbidden, notFound, unavailable } from "../http/errors.ts";
import { EnrollResult, Id, Person, Sighting, Template, limit } from "../http/schemas.ts";
import { cropKeyOf, isMp3, sniffImage } from "../media.ts";

export const MAX_PHOTOS = 10;
export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;

export function personOf(p: PersonDoc) {
  return {
    personId: p.id,
    name: p.name,
    description: p.description,
    photoKeys: p.photoIds,
    soundKey: p.soundId,
    templates: p.templates,
    watchlist: p.watchlist,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** Sightings with the person's current name. */
export async function sightingsOf(c: PortalContext, docs: SightingDoc[]) {
  const names = new Map<string, string | null>();
  const out: z.infer<typeof Sighting>[] = [];
  for (const s of docs) {
    let name: string | null = null;
    if (s.personId !== null) {
      if (!names.has(s.personId)) names.set(s.personId, (await c.models.people.get(s.personId))?.name ?? null);
      name = names.get(s.personId) ?? null;
    }
    out.push({
      id: s.id,
      cameraId: s.cameraId,
      trackId: s.trackId,
      personId: s.personId,
      name,
      decision: s.kind,
      score: s.similarity,
      at: s.at,
      cropKey: cropKeyOf(s.id, s.cropId),
    });
  }
  return out;
}

async function activePerson(c: PortalContext, personId: string): Promise<PersonDoc> {
  const p = await c.models.people.get(personId);
  if (!p || p.removedAt !== null) throw notFound(`person ${personId}`);
  return p;
}

/** Waits (briefly) for the people projection to show a person in a state. */
async function waitPerson(c: PortalContext, personId: string, ok: (p: PersonDoc | undefined) => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await c.models.people.get(personId);
    if (ok(p) || Date.now() > deadline) return p;
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Photo {
  file: string;
  bytes: Uint8Array;
}

/**
 * Stores the photos and runs the enrollment protocol (EnrollmentWatcher: EnrollPerson, then the recognizer's answer
 * per photo). Files that are not images are reported rejected ("bad-image") without being sent.
 */
export async function enroll(
  c: PortalContext,
  by: string,
  person: { personId: string; existing: boolean; name: string; description: string; sound: BlobRef | null },
  photos: Photo[],
  allowDuplicate = false,
): Promise<{ status: number; body: z.infer<typeof EnrollResult> }> {
  const outcomes: z.infer<typeof EnrollResult>["photos"] = [];
  const refs: { file: string; ref: BlobRef }[] = [];
  for (const p of photos) {
    const kind = sniffImage(p.bytes);
    if (kind === null) {
      outcomes.push({
        file: p.file,
        outcome: "rejected",
        reason: { code: "bad-image", message: `${p.file} is not a JPEG, PNG, WebP or BMP image` },
      });
      continue;
    }
    const ref = await c.media.putPersonBlob("photos", person.personId, p.bytes, kind.ext, kind.contentType, p.file);
    refs.push({ file: p.file, ref });
  }
  if (refs.length === 0) {
    throw new ApiError(415, "not-an-image", "no photo is an image (JPEG, PNG, WebP or BMP)", { photos: outcomes });
  }
  // an existing person already has templates: read-your-writes means waiting for the count to grow
  const templatesBefore = person.existing ? ((await c.models.people.get(person.personId))?.templates ?? 0) : 0;
  let result: Awaited<ReturnType<typeof c.watcher.enroll>>;
  try {
    result = await c.watcher.enroll(
      {
        personId: person.personId,
        existing: person.existing,
        name: person.name,
        description: person.description,
        photos: refs.map((r) => r.ref),
        sound: person.sound,
        source: "portal",
        importKey: null,
        requestedBy: by,
        ...(allowDuplicate ? { allowDuplicate: true } : {}),
      },
      { timeoutMs: c.enrollTimeoutMs },
    );
  } catch (err) {
    if (err instanceof EnrollmentTimeoutError) throw unavailable(err.message);
    throw err;
  }
  for (const r of refs) {
    const o = result.photos.find((p) => p.photo.sha256 === r.ref.sha256);
    if (o?.outcome === "added") outcomes.push({ file: r.file, outcome: "added", photoKey: r.ref.key });
    else
      outcomes.push({
        file: r.file,
        outcome: "rejected",
        // the recognizer's message starts with the photo's object key: the person sees the file name already
        reason:
          o?.outcome === "rejected"
            ? { ...o.reason, message: o.reason.message.replace(`${r.ref.key}: `, "") }
            : { code: "failed", message: "no answer" },
        photoKey: r.ref.key,
      });
  }
  const added = outcomes.some((o) => o.outcome === "added");
  const enrolled = person.existing ? added : result.enrolled && added;
  if (enrolled)
    await waitPerson(c, person.personId, (p) => p !== undefined && p.removedAt === null && p.templates > templatesBefore);
  return {
    status: enrolled ? (person.existing ? 200 : 201) : 422,
    body: { personId: person.personId, enrolled, photos: outcomes },
  };
}

export const newPersonId = () => `p-${randomBytes(10).toString("hex")}`;

function photosOf(files: Upload[]): Photo[] {
  return files.filter((f) => f.fieldname === "photo").map((f) => ({ file: f.originalname || "photo", bytes: f.buffer }));
}

async function soundOf(c: PortalContext, personId: string, files: Upload[]): Promise<BlobRef | null> {
  const f = files.find((x) => x.fieldname === "sound");
  if (!f) return null;
  if (!isMp3(f.buffer)) throw new ApiError(415, "not-mp3", "the greeting sound must be an MP3 (audio/mpeg)");
  return c.media.putPersonBlob("sounds", personId, f.buffer, "mp3", "audio/mpeg", f.originalname || "sound.mp3");
}

const PersonParams = z.object({ personId: Id });
/** `?allowDuplicate=true`: enroll a photo even when it is another person's (the user confirmed "duplicate-of"). */
const EnrollQuery = z.object({
  allowDuplicate: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
});
const PeopleQuery = z.object({
  q: z.string().max(200).optional(),
  limit: limit(50, 500),
  offset: z.coerce.number().int().min(0).default(0),
});
const NewPerson = z.object({ name: z.string().trim().pipe(PersonName), description: z.string().max(1000).default("") });
const PersonPatch = z
  .strictObject({
    name: z.string().trim().pipe(PersonName).optional(),
    description: z.string().max(1000).optional(),
    watchlist: z
      .object({ reason: z.string().trim().min(1).max(500) })
      .nullable()
      .optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "nothing to change");

export function peopleRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/people",
    summary: "People, by name; q searches names",
    tag: "people",
    role: "viewer",
    query: PeopleQuery,
    responses: { 200: z.object({ items: z.array(Person), total: z.number().int() }) },
    async handler({ query }) {
      const q = query.q?.trim();
      const all = q ? await c.models.people.searchByName(q) : await c.models.people.list();
      return {
        status: 200,
        body: { items: all.slice(query.offset, query.offset + query.limit).map(personOf), total: all.length },
      };
    },
  });

  api.add({
    method: "get",
    path: "/people/:personId",
    summary: "One person with templates and recent sightings",
    tag: "people",
    role: "viewer",
    params: PersonParams,
    responses: { 200: z.object({ person: Person, templates: z.array(Template), recentSightings: z.array(Sighting) }) },
    async handler({ params }) {
      const p = await activePerson(c, params.personId);
      const templates = await c.models.personTemplates.find({ personId: p.id }, { sort: { addedAt: 1 } });
      const recent = await c.models.sightings.list({ personId: p.id, limit: 20 });
      return {
        status: 200,
        body: {
          person: personOf(p),
          templates: templates.map((t) => ({
            id: t.id,
            origin: t.origin,
            photoKey: t.photoKey,
            quality: t.quality,
            addedAt: t.addedAt,
          })),
          recentSightings: await sightingsOf(c, recent),
        },
      };
    },
  });

  api.add({
    method: "post",
    path: "/people",
    summary: "Enroll a new person from 1-10 photos (multipart); 201, or 422 when every photo is rejected",
    tag: "people",
    role: "operator",
    body: NewPerson,
    multipart: {
      files: [
        { name: "photo", maxCount: MAX_PHOTOS, description: "1-10 photos (JPEG, PNG, WebP, BMP)" },
        { name: "sound", maxCount: 1, description: "optional greeting (MP3)" },
      ],
    },
    query: EnrollQuery,
    responses: { 201: EnrollResult, 422: EnrollResult },
    async handler({ body, query, files, session }) {
      const photos = photosOf(files);
      if (photos.length === 0) throw new ApiError(400, "validation", "at least one photo (field 'photo')");
      const personId = newPersonId();
      const sound = await soundOf(c, personId, files);
      return enroll(
        c,
        session?.username ?? "?",
        { personId, existing: false, name: body.name, description: body.description, sound },
        photos,
        query.allowDuplicate,
      );
    },
  });

  api.add({
    method: "post",
    path: "/people/:personId/photos",
    summary: "Add photos (templates) to a person (multipart 'photo')",
    tag: "people",
    role: "operator",
    params: PersonParams,
    multipart: { files: [{ name: "photo", maxCount: MAX_PHOTOS, description: "1-10 photos" }] },
    query: EnrollQuery,
    responses: { 200: EnrollResult, 422: EnrollResult },
    async handler({ params, query, files, session }) {
      const p = await activePerson(c, params.personId);
      const photos = photosOf(files);
      if (photos.length === 0) throw new ApiError(400, "validation", "at least one photo (field 'photo')");
      return enroll(
        c,
        session?.username ?? "?",
        { personId: p.id, existing: true, name: p.name, description: p.description, sound: null },
        photos,
        query.allowDuplicate,
      );
    },
  });

  api.add({
    method: "patch",
    path: "/people/:personId",
    summary: "Change name, description or watchlist (watchlist: admin)",
    tag: "people",
    role: "operator",
    params: PersonParams,
    body: PersonPatch,
    responses: { 200: Person },
    async handler({ params, body, session }) {
      const s = session as NonNullable<typeof session>;
      if (body.watchlist !== undefined && s.role !== "admin") throw forbidden("only an admin changes the watchlist");
      await activePerson(c, params.personId);
      const env = c.bus.envelope("PersonUpdated", { personId: params.personId, ...body, by: s.username });
      const ack = await c.bus.publish(env);
      await projected(c.store, "people", ack.seq);
      return { status: 200, body: personOf(await activePerson(c, params.personId)) };
    },
  });

  api.add({
    method: "put",
    path: "/people/:personId/sound",
    summary: "Set the greeting sound (multipart 'sound', MP3)",
    tag: "people",
    role: "operator",
    params: PersonParams,
    multipart: { files: [{ name: "sound", maxCount: 1, description: "MP3" }] },
    responses: { 200: Person },
    async handler({ params, files, session }) {
      await activePerson(c, params.personId);
      const sound = await soundOf(c, params.personId, files);
      if (sound === null) throw new ApiError(400, "validation", "a file in field 'sound'");
      const ack = await c.bus.publish(
        c.bus.envelope("PersonUpdated", { personId: params.personId, sound, by: session?.username ?? "?" }),
      );
      await projected(c.store, "people", ack.seq);
      return { status: 200, body: personOf(await activePerson(c, params.personId)) };
    },
  });

  api.add({
    method: "delete",
    path: "/people/:personId",
    summary: "Remove a person from the library (PersonRemoved)",
    tag: "people",
    role: "admin",
    params: PersonParams,
    responses: { 204: { contentType: "text/plain", description: "removed" } },
    async handler({ params, session }) {
      await activePerson(c, params.personId);
      const ack = await c.bus.publish(
        c.bus.envelope("PersonRemoved", {
          personId: params.personId,
          reason: "removed in the console",
          by: session?.username ?? "?",
        }),
      );
      await projected(c.store, "people", ack.seq);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------------ unknowns

  const SightingParams = z.object({ sightingId: Id });

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
