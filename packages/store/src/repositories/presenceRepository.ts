import { z } from "zod";
import { StoreValidationError } from "../errors.ts";
import type { CollectionDef, DocumentStore, Filter, WriteOp } from "../types.ts";
import { EntityId, UtcTime, type UtcTimeInput, Repository, ValidatedCollection, utc } from "./common.ts";

/** Who is in view now: one document per camera and track, named once the track is recognised. */
export const PresenceDoc = z.object({
  /** `presenceId(cameraId, trackId)`. */
  id: z.string().min(1),
  cameraId: EntityId,
  trackId: EntityId,
  /** Null while the face on the track is unknown. */
  personId: EntityId.nullable().default(null),
  enteredAt: UtcTime,
  lastSeenAt: UtcTime,
});
export type PresenceDoc = z.infer<typeof PresenceDoc>;
export type PresenceInput = z.input<typeof PresenceDoc>;

export const PRESENCE_COLLECTION: CollectionDef = {
  name: "presence",
  indexes: [{ fields: ["cameraId", "enteredAt"] }, { fields: ["personId"] }, { fields: ["lastSeenAt"] }],
};

export function presenceId(cameraId: string, trackId: string): string {
  return `${cameraId}:${trackId}`;
}

export class PresenceRepository extends Repository<typeof PresenceDoc, PresenceInput> {
  static async open(store: DocumentStore): Promise<PresenceRepository> {
    return new PresenceRepository(await ValidatedCollection.open(store, PRESENCE_COLLECTION, PresenceDoc));
  }

  async get(cameraId: string, trackId: string): Promise<PresenceDoc | undefined> {
    return this.docs.get(presenceId(cameraId, trackId));
  }

  protected toStored(presence: PresenceInput): PresenceInput {
    return checkId(presence);
  }

  async leave(cameraId: string, trackId: string): Promise<boolean> {
    return this.docs.delete(presenceId(cameraId, trackId));
  }

  leaveOp(cameraId: string, trackId: string): WriteOp {
    return this.docs.deleteOp(presenceId(cameraId, trackId));
  }

  /** Everyone in view (on one camera, or everywhere), earliest arrival first. */
  async inView(query: { cameraId?: string } = {}): Promise<PresenceDoc[]> {
    const filter: Filter = query.cameraId === undefined ? {} : { cameraId: query.cameraId };
    return this.docs.find(filter, { sort: { enteredAt: 1 } });
  }

  /** Where a person is in view now. */
  async wherePerson(personId: string): Promise<PresenceDoc[]> {
    return this.docs.find({ personId }, { sort: { enteredAt: 1 } });
  }

  /** Drops tracks not seen since `before`; returns how many left. */
  async expire(before: UtcTimeInput): Promise<number> {
    return this.docs.deleteMany({ lastSeenAt: { $lt: utc(before, "before") } });
  }

  expireOp(before: UtcTimeInput): WriteOp {
    return this.docs.deleteManyOp({ lastSeenAt: { $lt: utc(before, "before") } });
  }
}

function checkId(presence: PresenceInput): PresenceInput {
  if (presence.id !== presenceId(String(presence.cameraId), String(presence.trackId))) {
    throw new StoreValidationError(`presence: id must be presenceId(cameraId, trackId), got ${JSON.stringify(presence.id)}`);
  }
  return presence;
}
