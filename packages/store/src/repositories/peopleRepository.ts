import { z } from "zod";
import type { CollectionDef, DocumentStore, Filter, WriteOp } from "../types.ts";
import {
  EntityId,
  ObjectKey,
  type Page,
  UtcTime,
  Repository,
  ValidatedCollection,
  foldKey,
  utc,
  type UtcTimeInput,
} from "./common.ts";

/**
 * The people library projection (from the LIBRARY stream). A removed person keeps the document, marked with
 * `removedAt`, so history (sightings, attendance) can still show a name; erasing deletes it for good.
 */
export const PersonDoc = z.object({
  id: EntityId,
  name: z.string().trim().min(1).max(200),
  /** Lower-cased name, for case-insensitive ordering; the repository derives it from `name`. */
  nameKey: z.string().min(1),
  description: z.string().max(4000).default(""),
  photoIds: z.array(ObjectKey).default([]),
  soundId: ObjectKey.nullable().default(null),
  /** How many face templates the person's gallery holds. */
  templates: z.number().int().min(0).default(0),
  /** Set when the person is on the watchlist: sightings raise alerts. */
  watchlist: z
    .object({ reason: z.string().min(1).max(500) })
    .nullable()
    .default(null),
  createdAt: UtcTime,
  updatedAt: UtcTime,
  removedAt: UtcTime.nullable().default(null),
});
export type PersonDoc = z.infer<typeof PersonDoc>;
/** What callers write: `nameKey` is derived. */
export type PersonInput = Omit<z.input<typeof PersonDoc>, "nameKey">;

export const PEOPLE_COLLECTION: CollectionDef = {
  name: "people",
  indexes: [{ fields: ["nameKey"] }, { fields: ["removedAt", "nameKey"] }],
};

export interface PeopleQuery extends Page {
  /** Include people marked removed. Default false. */
  includeRemoved?: boolean;
}

export class PeopleRepository extends Repository<typeof PersonDoc, PersonInput> {
  static async open(store: DocumentStore): Promise<PeopleRepository> {
    return new PeopleRepository(await ValidatedCollection.open(store, PEOPLE_COLLECTION, PersonDoc));
  }

  async get(id: string): Promise<PersonDoc | undefined> {
    return this.docs.get(id);
  }

  protected toStored(person: PersonInput): z.input<typeof PersonDoc> {
    return withNameKey(person);
  }

  /** Marks a person removed (kept for history). Returns the updated document, or undefined when unknown. */
  async markRemoved(id: string, at: UtcTimeInput): Promise<PersonDoc | undefined> {
    const person = await this.get(id);
    if (person === undefined) return undefined;
    const when = utc(at, "removedAt");
    return this.put({ ...person, removedAt: person.removedAt ?? when, updatedAt: when });
  }

  /** Deletes the person's document for good (erasure). */
  async erase(id: string): Promise<boolean> {
    return this.docs.delete(id);
  }

  eraseOp(id: string): WriteOp {
    return this.docs.deleteOp(id);
  }

  /** People sorted by name (case-insensitive). */
  async list(query: PeopleQuery = {}): Promise<PersonDoc[]> {
    return this.docs.find(activeFilter(query), { sort: { nameKey: 1 }, limit: query.limit, skip: query.skip });
  }

  /** People whose name contains `text`, case-insensitively (Cyrillic etc. included), sorted by name. */
  async searchByName(text: string, query: PeopleQuery = {}): Promise<PersonDoc[]> {
    return this.docs.find(
      { ...activeFilter(query), name: { $contains: text } },
      { sort: { nameKey: 1 }, limit: query.limit, skip: query.skip },
    );
  }

  async count(query: Omit<PeopleQuery, "limit" | "skip"> = {}): Promise<number> {
    return this.docs.count(activeFilter(query));
  }
}

function activeFilter(query: PeopleQuery): Filter {
  return query.includeRemoved === true ? {} : { removedAt: null };
}

function withNameKey(person: PersonInput): z.input<typeof PersonDoc> {
  return { ...person, nameKey: typeof person.name === "string" ? foldKey(person.name.trim()) : "" };
}
