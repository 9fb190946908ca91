import { type BlobRef, PersonName } from "@persona/contracts";
import { type LibraryCommand, LibraryWriter } from "@persona/library";
import { z } from "zod";
import { type PortalContext, projected } from "../context.ts";
import type { Api, Upload } from "../http/api.ts";
import { ApiError, forbidden, notFound } from "../http/errors.ts";
import { EnrollResult, Id, Person, Sighting, Template, limit } from "../http/schemas.ts";
import { isMp3 } from "../media.ts";
import { personOf } from "../views/people.ts";
import { sightingsOf } from "../views/sightings.ts";
import { MAX_PHOTOS, NewPerson, type Photo, activePerson, enroll, newPersonId } from "./enroll.ts";

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

/**
 * /people: the library (people read model); enrollment by upload, changes made through the library writer
 * (PersonUpdated/PersonRemoved).
 */
export function peopleRoutes(api: Api, c: PortalContext): void {
  peopleReads(api, c);
  peopleEnrollment(api, c);
  peopleChanges(api, c);
}

function peopleReads(api: Api, c: PortalContext): void {
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
}

function peopleEnrollment(api: Api, c: PortalContext): void {
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
}

/**
 * Has the library writer decide and append a change, then waits (briefly) for the people projection to show it. A
 * person the writer no longer finds (removed meanwhile) is a 404; a change that changes nothing appends nothing.
 */
async function write(c: PortalContext, writer: LibraryWriter, command: LibraryCommand, personId: string): Promise<void> {
  const out = await writer.execute(command);
  if ("rejected" in out) throw notFound(`person ${personId}`);
  const last = out.events.at(-1);
  if (last) await projected(c.store, "people", last.seq);
}

function peopleChanges(api: Api, c: PortalContext): void {
  // a request waits at most 10 s for a person another writer is changing, then answers 409 (see http/errors.ts)
  // made at the first change, not at registration (portalOpenApi registers the routes with a context that throws)
  let made: LibraryWriter | undefined;
  const writer = () => (made ??= new LibraryWriter({ bus: c.bus, lock: { waitMs: 10_000 } }));
  /** Updates a person and answers them as they are now. */
  const update = async (change: Extract<LibraryCommand, { kind: "update-person" }>["change"]) => {
    await write(c, writer(), { kind: "update-person", change }, change.personId);
    return { status: 200, body: personOf(await activePerson(c, change.personId)) };
  };
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
      return update({ personId: params.personId, ...body, by: s.username });
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
      return update({ personId: params.personId, sound, by: session?.username ?? "?" });
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
      const by = session?.username ?? "?";
      await write(
        c,
        writer(),
        { kind: "remove-person", personId: params.personId, reason: "removed in the console", by },
        params.personId,
      );
      return { status: 204 };
    },
  });
}
