import { z } from "zod";
import type { CollectionDef, DocumentStore } from "../types.ts";
import { EntityId, ObjectKey, type TimelineQuery, TimelineRepository, UtcTime, ValidatedCollection } from "./common.ts";

/** History of faces seen: one document per recognised or unknown track result. */
export const SightingDoc = z
  .object({
    id: EntityId,
    cameraId: EntityId,
    trackId: EntityId,
    /** The recognised person; null for an unknown face. */
    personId: EntityId.nullable(),
    kind: z.enum(["recognized", "unknown"]),
    /**
     * The recognizer's decision on a recognized shot: "confirmed" passed the naming threshold and the track vote,
     * "probable" only the looser threshold. null for an unknown face, and for a recognition kept before the decision
     * was (rebuild the projections to fill it in).
     */
    decision: z.enum(["confirmed", "probable"]).nullable().default(null),
    /** Similarity of the best gallery match (for unknowns too: how close the nearest person came). */
    similarity: z.number().finite(),
    at: UtcTime,
    /** Object-store key of the face crop; null once retention removed it. */
    cropId: ObjectKey.nullable().default(null),
  })
  .superRefine((s, ctx) => {
    if ((s.kind === "recognized") !== (s.personId !== null)) {
      ctx.addIssue({
        code: "custom",
        path: ["personId"],
        message: "a recognized sighting names a person; an unknown one does not",
      });
    }
  });
export type SightingDoc = z.infer<typeof SightingDoc>;
export type SightingInput = z.input<typeof SightingDoc>;

export const SIGHTINGS_COLLECTION: CollectionDef = {
  name: "sightings",
  indexes: [{ fields: ["at"] }, { fields: ["cameraId", "at"] }, { fields: ["personId", "at"] }, { fields: ["kind", "at"] }],
};

export interface SightingsQuery extends TimelineQuery {
  cameraId?: string;
  personId?: string;
  kind?: SightingDoc["kind"];
}

export class SightingsRepository extends TimelineRepository<typeof SightingDoc, SightingsQuery> {
  static async open(store: DocumentStore): Promise<SightingsRepository> {
    return new SightingsRepository(await ValidatedCollection.open(store, SIGHTINGS_COLLECTION, SightingDoc));
  }

  protected readonly matchFields = ["cameraId", "personId", "kind"] as const;
}
