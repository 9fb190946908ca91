import { randomBytes } from "node:crypto";
import { type BlobRef, PersonName, sniffImage } from "@persona/contracts";
import { EnrollmentTimeoutError } from "@persona/library";
import type { PersonDoc } from "@persona/store";
import { z } from "zod";
import type { PortalContext } from "../context.ts";
import { ApiError, notFound, unavailable } from "../http/errors.ts";
import type { EnrollResult } from "../http/schemas.ts";

/**
 * Not a resource: the enrollment protocol the people and unknowns routes share (a photo upload or an unknown
 * sighting's crop becomes a person's template).
 */

export const MAX_PHOTOS = 10;
export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;

export interface Photo {
  file: string;
  bytes: Uint8Array;
}

export const NewPerson = z.object({ name: z.string().trim().pipe(PersonName), description: z.string().max(1000).default("") });

export const newPersonId = () => `p-${randomBytes(10).toString("hex")}`;

/** The person a route acts on: 404 when unknown or removed. */
export async function activePerson(c: PortalContext, personId: string): Promise<PersonDoc> {
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
