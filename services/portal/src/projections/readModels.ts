import {
  AttendanceRepository,
  type CollectionDef,
  type DocumentStore,
  EntityId,
  PeopleRepository,
  PresenceRepository,
  SightingsRepository,
  UtcTime,
  ValidatedCollection,
} from "@persona/store";
import { z } from "zod";

/**
 * The portal's read models: the store's repositories plus three small collections of the projections' own
 * bookkeeping (templates per person, concluded tracks, attendance intervals).
 */

/** One face template of a person (from FaceTemplateAdded), so the count is exact under redelivery and reverts. */
export const PersonTemplateDoc = z.object({
  id: z.uuid(),
  personId: EntityId,
  origin: z.enum(["enrollment", "self-learning", "operator"]),
  /** Object key of the enrollment photo, when the template came from one. */
  photoKey: z.string().min(1).max(512).nullable(),
  quality: z.number().min(0).max(1),
  addedAt: UtcTime,
});
export type PersonTemplateDoc = z.infer<typeof PersonTemplateDoc>;
export const PERSON_TEMPLATES_COLLECTION: CollectionDef = { name: "person_templates", indexes: [{ fields: ["personId"] }] };

/**
 * A track that has concluded: recognitions of it that arrive later (a slower recognizer replica) must not put it
 * back in view. Kept for `CONCLUDED_TRACK_TTL_MS` of event time.
 */
export const ConcludedTrackDoc = z.object({
  id: z.string().min(1),
  cameraId: EntityId,
  trackId: EntityId,
  endedAt: UtcTime,
});
export type ConcludedTrackDoc = z.infer<typeof ConcludedTrackDoc>;
export const CONCLUDED_TRACKS_COLLECTION: CollectionDef = { name: "presence_concluded", indexes: [{ fields: ["endedAt"] }] };

/** The intervals a person was in view on a day, merged, as [startMs, endMs] (for the union of overlapping tracks). */
export const AttendanceSpansDoc = z.object({
  id: z.string().min(1),
  personId: EntityId,
  day: z.iso.date(),
  spans: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type AttendanceSpansDoc = z.infer<typeof AttendanceSpansDoc>;
export const ATTENDANCE_SPANS_COLLECTION: CollectionDef = {
  name: "attendance_spans",
  indexes: [{ fields: ["personId", "day"] }],
};

export interface ReadModels {
  people: PeopleRepository;
  personTemplates: ValidatedCollection<typeof PersonTemplateDoc>;
  sightings: SightingsRepository;
  presence: PresenceRepository;
  concludedTracks: ValidatedCollection<typeof ConcludedTrackDoc>;
  attendance: AttendanceRepository;
  attendanceSpans: ValidatedCollection<typeof AttendanceSpansDoc>;
}

/** Declares every read model on `store` (idempotent). */
export async function openReadModels(store: DocumentStore): Promise<ReadModels> {
  return {
    people: await PeopleRepository.open(store),
    personTemplates: await ValidatedCollection.open(store, PERSON_TEMPLATES_COLLECTION, PersonTemplateDoc),
    sightings: await SightingsRepository.open(store),
    presence: await PresenceRepository.open(store),
    concludedTracks: await ValidatedCollection.open(store, CONCLUDED_TRACKS_COLLECTION, ConcludedTrackDoc),
    attendance: await AttendanceRepository.open(store),
    attendanceSpans: await ValidatedCollection.open(store, ATTENDANCE_SPANS_COLLECTION, AttendanceSpansDoc),
  };
}
