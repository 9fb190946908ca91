import {
  ALERTS_COLLECTION,
  ATTENDANCE_COLLECTION,
  type Collection,
  type CollectionDef,
  type Doc,
  type DocumentStore,
  PEOPLE_COLLECTION,
  PRESENCE_COLLECTION,
  SIGHTINGS_COLLECTION,
  type SightingDoc,
} from "@persona/store";

/**
 * The store collections the cleaner deletes from. The first five are the store's repositories; the others are the
 * portal projections' own bookkeeping (declared here with the portal's names and indexes: services do not import each
 * other; the erasure test runs the real projections and checks every read model, so a rename is caught).
 */
export const PERSON_TEMPLATES: CollectionDef = { name: "person_templates", indexes: [{ fields: ["personId"] }] };
export const PRESENCE_CONCLUDED: CollectionDef = { name: "presence_concluded", indexes: [{ fields: ["endedAt"] }] };
/** The portal's visitors read model (services/portal/src/projections/readModels.ts). */
export const VISITORS: CollectionDef = {
  name: "visitors",
  indexes: [{ fields: ["status", "lastSeen"] }, { fields: ["absorbedInto"] }],
};
export const ATTENDANCE_SPANS: CollectionDef = { name: "attendance_spans", indexes: [{ fields: ["personId", "day"] }] };
/** How each track was concluded, beside its sightings (the portal's sightings projection). */
export const SIGHTING_TRACKS: CollectionDef = { name: "sighting_tracks", indexes: [{ fields: ["endedAt"] }] };
/** Each unknown track folded from its shots (the portal's sightings projection), for the Unknowns page. */
export const UNKNOWN_TRACKS: CollectionDef = { name: "unknown_tracks", indexes: [{ fields: ["lastSeen"] }] };
/** Which visitor a track's faces went to (the portal's visitors projection). */
export const VISITOR_TRACKS: CollectionDef = { name: "visitor_tracks", indexes: [{ fields: ["visitorId"] }] };

export interface CleanerCollections {
  people: Collection<Doc>;
  personTemplates: Collection<Doc>;
  sightings: Collection<SightingDoc>;
  presence: Collection<Doc>;
  presenceConcluded: Collection<Doc>;
  sightingTracks: Collection<Doc & { endedAt?: string }>;
  unknownTracks: Collection<Doc & { lastSeen?: string; nearest?: { personId: string } | null }>;
  visitorTracks: Collection<Doc>;
  attendance: Collection<Doc>;
  attendanceSpans: Collection<Doc>;
  alerts: Collection<Doc & { cropKey?: string | null }>;
  visitors: Collection<Doc & { status?: string; lastSeen?: string; absorbedInto?: string | null }>;
  /** The store itself, for its projection bookkeeping (pruning applied-event records). */
  store: DocumentStore;
}

export async function openCollections(store: DocumentStore): Promise<CleanerCollections> {
  return {
    people: await store.collection(PEOPLE_COLLECTION),
    personTemplates: await store.collection(PERSON_TEMPLATES),
    sightings: await store.collection<SightingDoc>(SIGHTINGS_COLLECTION),
    presence: await store.collection(PRESENCE_COLLECTION),
    presenceConcluded: await store.collection(PRESENCE_CONCLUDED),
    sightingTracks: await store.collection(SIGHTING_TRACKS),
    unknownTracks: await store.collection(UNKNOWN_TRACKS),
    visitorTracks: await store.collection(VISITOR_TRACKS),
    attendance: await store.collection(ATTENDANCE_COLLECTION),
    attendanceSpans: await store.collection(ATTENDANCE_SPANS),
    alerts: await store.collection(ALERTS_COLLECTION),
    visitors: await store.collection(VISITORS),
    store,
  };
}

/** A crop locator of the sightings read model (`obj:<bucket>/<key>` or `msg:SIGHTINGS/<seq>`) naming an object. */
export function objectOfLocator(cropId: string | null | undefined): { bucket: string; key: string } | null {
  if (!cropId) return null;
  const m = /^obj:([a-z0-9-]+)\/(.+)$/.exec(cropId);
  return m ? { bucket: m[1] as string, key: m[2] as string } : null;
}
