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
 * The portal's read models: the store's repositories, three small collections of the projections' own bookkeeping
 * (templates per person, concluded tracks, attendance intervals), and the visitors with their decisions.
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

/** A document about one track of a camera (keyed `<cameraId>/<trackId>`, or `presenceId` for the concluded ones). */
const TrackDoc = z.object({
  id: z.string().min(1),
  cameraId: EntityId,
  trackId: EntityId,
});

/**
 * A track that has concluded: recognitions of it that arrive later (a slower recognizer replica) must not put it
 * back in view. Kept for `CONCLUDED_TRACK_TTL_MS` of event time.
 */
export const ConcludedTrackDoc = TrackDoc.extend({ endedAt: UtcTime });
export type ConcludedTrackDoc = z.infer<typeof ConcludedTrackDoc>;
export const CONCLUDED_TRACKS_COLLECTION: CollectionDef = { name: "presence_concluded", indexes: [{ fields: ["endedAt"] }] };

/**
 * How the recognizer concluded a track (TrackConcluded), by `<cameraId>/<trackId>`: the sightings list shows each
 * shot's own decision and, once known, the track's conclusion (a probable shot of a track concluded unknown was a
 * stranger). Kept as long as the sightings, whatever arrives first.
 */
export const TrackConclusionDoc = TrackDoc.extend({
  outcome: z.enum(["recognized", "unknown", "undecided"]),
  /** Recognized: the person the track was concluded as. */
  personId: EntityId.nullable(),
  /** Recognized: the track's similarity; unknown: how close the nearest person came; undecided: null. */
  similarity: z.number().finite().nullable(),
  endedAt: UtcTime,
});
export type TrackConclusionDoc = z.infer<typeof TrackConclusionDoc>;
export const TRACK_CONCLUSIONS_COLLECTION: CollectionDef = { name: "sighting_tracks", indexes: [{ fields: ["endedAt"] }] };
export const trackKey = (cameraId: string, trackId: string) => `${cameraId}/${trackId}`;

/**
 * One unknown track (`<cameraId>/<trackId>`) folded from its UnknownFaceSeen shots, so the Unknowns page lists one
 * card per track without grouping every unknown shot at read time: how many shots, when first and last seen, the
 * best shot by quality, and the nearest person any shot came to (null when none: an empty library has no nearest).
 */
export const UnknownTrackDoc = TrackDoc.extend({
  shots: z.number().int().positive(),
  firstSeen: UtcTime,
  lastSeen: UtcTime,
  best: z.object({ sightingId: EntityId, quality: z.number().min(0).max(1), at: UtcTime }),
  nearest: z.object({ personId: EntityId, similarity: z.number().finite() }).nullable(),
});
export type UnknownTrackDoc = z.infer<typeof UnknownTrackDoc>;
export const UNKNOWN_TRACKS_COLLECTION: CollectionDef = { name: "unknown_tracks", indexes: [{ fields: ["lastSeen"] }] };

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

/** One of a visitor's best faces: where its crop is, and its embedding (for the alert rules' ignored-visitor match). */
export const VisitorCropDoc = z.object({
  detectionId: z.uuid(),
  cameraId: EntityId,
  trackId: EntityId,
  quality: z.number().min(0).max(1),
  seenAt: UtcTime,
  /** `obj:<bucket>/<key>`, or `msg:SIGHTINGS/<seq>` of the summary that carried the crop inline (see sightings.ts). */
  cropId: z.string().min(1),
  embedding: z.object({ model: z.string().min(1), dims: z.number().int().positive(), base64: z.string() }).nullable(),
});
export type VisitorCropDoc = z.infer<typeof VisitorCropDoc>;

export const VisitorStatus = z.enum(["open", "named", "ignored"]);
export type VisitorStatus = z.infer<typeof VisitorStatus>;

/** An operator's decision about a visitor (VisitorNamed / VisitorIgnored). */
export const VisitorDecision = z.object({
  kind: z.enum(["named", "ignored"]),
  by: z.string(),
  at: UtcTime,
  /** Ignored: the reason given ("" when none). */
  reason: z.string().nullable(),
  /** Named: the person, the name given, and whether the person existed before. */
  personId: EntityId.nullable(),
  personName: z.string().nullable(),
  existing: z.boolean().nullable(),
  /** Set when the decision came over from a visitor this one absorbed (the visitor it was made about). */
  inheritedFrom: z.string().nullable(),
});
export type VisitorDecision = z.infer<typeof VisitorDecision>;

/**
 * A visitor (the trainer's cluster of one recurring unknown face): its latest summary, its status and decision. A
 * visitor absorbed by a merge keeps its document with `absorbedInto` = the survivor and is no longer listed.
 */
export const VisitorDoc = z.object({
  id: z.uuid(),
  faces: z.number().int().positive(),
  visits: z.number().int().positive(),
  firstSeen: UtcTime,
  lastSeen: UtcTime,
  cameras: z.array(EntityId),
  bestCrops: z.array(VisitorCropDoc),
  /** Visitors merged into this one. */
  absorbed: z.array(z.string()),
  absorbedInto: z.string().nullable(),
  status: VisitorStatus,
  decision: VisitorDecision.nullable(),
  clusteredAt: UtcTime,
  updatedAt: UtcTime,
  /** SIGHTINGS sequence of the summary last applied (its inline crops are read back from that message). */
  summarySeq: z.number().int().positive(),
});
export type VisitorDoc = z.infer<typeof VisitorDoc>;
export const VISITORS_COLLECTION: CollectionDef = {
  name: "visitors",
  indexes: [{ fields: ["status", "lastSeen"] }, { fields: ["absorbedInto"] }],
};

/**
 * Which visitor a track's faces went to, by `<cameraId>/<trackId>`: the tracks of the best crops of each summary
 * (the summaries name no other tracks), kept when a later summary's best crops no longer include them. The Unknowns
 * page groups the tracks under their visitor; follow `absorbedInto` from `visitorId` to the visitor now.
 */
export const VisitorTrackDoc = z.object({ id: z.string().min(1), visitorId: z.string().min(1) });
export type VisitorTrackDoc = z.infer<typeof VisitorTrackDoc>;
export const VISITOR_TRACKS_COLLECTION: CollectionDef = { name: "visitor_tracks", indexes: [{ fields: ["visitorId"] }] };

/** Decisions by visitor id, also about visitors not (or no longer) listed: what a merge carries over. */
export const VisitorDecisionDoc = VisitorDecision.extend({ id: z.string().min(1) });
export type VisitorDecisionDoc = z.infer<typeof VisitorDecisionDoc>;
export const VISITOR_DECISIONS_COLLECTION: CollectionDef = { name: "visitor_decisions" };

export interface ReadModels {
  people: PeopleRepository;
  personTemplates: ValidatedCollection<typeof PersonTemplateDoc>;
  sightings: SightingsRepository;
  trackConclusions: ValidatedCollection<typeof TrackConclusionDoc>;
  unknownTracks: ValidatedCollection<typeof UnknownTrackDoc>;
  presence: PresenceRepository;
  concludedTracks: ValidatedCollection<typeof ConcludedTrackDoc>;
  attendance: AttendanceRepository;
  attendanceSpans: ValidatedCollection<typeof AttendanceSpansDoc>;
  visitors: ValidatedCollection<typeof VisitorDoc>;
  visitorDecisions: ValidatedCollection<typeof VisitorDecisionDoc>;
  visitorTracks: ValidatedCollection<typeof VisitorTrackDoc>;
}

/** Declares every read model on `store` (idempotent). */
export async function openReadModels(store: DocumentStore): Promise<ReadModels> {
  return {
    people: await PeopleRepository.open(store),
    personTemplates: await ValidatedCollection.open(store, PERSON_TEMPLATES_COLLECTION, PersonTemplateDoc),
    sightings: await SightingsRepository.open(store),
    trackConclusions: await ValidatedCollection.open(store, TRACK_CONCLUSIONS_COLLECTION, TrackConclusionDoc),
    unknownTracks: await ValidatedCollection.open(store, UNKNOWN_TRACKS_COLLECTION, UnknownTrackDoc),
    presence: await PresenceRepository.open(store),
    concludedTracks: await ValidatedCollection.open(store, CONCLUDED_TRACKS_COLLECTION, ConcludedTrackDoc),
    attendance: await AttendanceRepository.open(store),
    attendanceSpans: await ValidatedCollection.open(store, ATTENDANCE_SPANS_COLLECTION, AttendanceSpansDoc),
    visitors: await ValidatedCollection.open(store, VISITORS_COLLECTION, VisitorDoc),
    visitorDecisions: await ValidatedCollection.open(store, VISITOR_DECISIONS_COLLECTION, VisitorDecisionDoc),
    visitorTracks: await ValidatedCollection.open(store, VISITOR_TRACKS_COLLECTION, VisitorTrackDoc),
  };
}
