import { z } from "zod";
import { StoreValidationError } from "../errors.ts";
import type { Collection, CollectionDef, Doc, DocumentStore, Filter, FindOptions, Scalar, WriteOp } from "../types.ts";

/** Ids that also appear in NATS subjects (person, camera, track): the same rule as contracts' Token. */
export const EntityId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "only letters, digits, '_' and '-'");

/** Keys of objects in the object store (photos, crops, sounds). */
export const ObjectKey = z.string().min(1).max(512);

/**
 * A point in time, stored as a UTC ISO string with milliseconds ("2025-01-02T03:04:05.678Z") so that string order is
 * time order in both adapters. Accepts a Date or any ISO datetime with an offset.
 */
export const UtcTime = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((value) => (typeof value === "string" ? new Date(value) : value).toISOString());
export type UtcTimeInput = z.input<typeof UtcTime>;

/** A calendar day, "YYYY-MM-DD" (the projection decides in which time zone). */
export const Day = z.iso.date();

/** Lower-cased key for case-insensitive sorting and unique lookups (not locale collation: binary order of code points). */
export function foldKey(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

export function utc(value: UtcTimeInput, what: string): string {
  const parsed = UtcTime.safeParse(value);
  if (!parsed.success) throw new StoreValidationError(`${what}: not a time: ${JSON.stringify(value)}`, { cause: parsed.error });
  return parsed.data;
}

export interface Page {
  limit?: number;
  skip?: number;
}

/** A time range on a UTC field: from inclusive, to exclusive. */
export function timeRange(field: string, from: UtcTimeInput | undefined, to: UtcTimeInput | undefined): Filter {
  if (from === undefined && to === undefined) return {};
  const ops: { $gte?: string; $lt?: string } = {};
  if (from !== undefined) ops.$gte = utc(from, `${field} from`);
  if (to !== undefined) ops.$lt = utc(to, `${field} to`);
  return { [field]: ops };
}

type DocSchema = z.ZodType<Doc, unknown>;

/**
 * A collection whose documents are parsed with a zod schema on the way in and on the way out. A document that fails
 * either way is a StoreValidationError naming the collection and id, with the ZodError as its cause.
 */
export class ValidatedCollection<S extends DocSchema> {
  constructor(
    readonly collection: Collection<Doc>,
    readonly schema: S,
  ) {}

  static async open<S extends DocSchema>(store: DocumentStore, def: CollectionDef, schema: S): Promise<ValidatedCollection<S>> {
    return new ValidatedCollection(await store.collection<Doc>(def), schema);
  }

  get name(): string {
    return this.collection.name;
  }

  /** Parses a document read from the store. */
  parseStored(raw: unknown): z.output<S> {
    const parsed = this.schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const id = typeof raw === "object" && raw !== null && "id" in raw ? String(raw.id) : "?";
    throw new StoreValidationError(`${this.name}: stored document ${id} is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }

  /** Parses a document about to be written. */
  check(input: z.input<S>): z.output<S> {
    const parsed = this.schema.safeParse(input);
    if (parsed.success) return parsed.data;
    throw new StoreValidationError(`${this.name}: invalid document: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }

  async get(id: string): Promise<z.output<S> | undefined> {
    const raw = await this.collection.get(id);
    return raw === undefined ? undefined : this.parseStored(raw);
  }

  /** Validates and writes; returns the document as stored (defaults filled, times normalised). */
  async put(input: z.input<S>): Promise<z.output<S>> {
    const doc = this.check(input);
    await this.collection.put(doc);
    return doc;
  }

  /** The same write as an op for `DocumentStore.applyOnce`. */
  putOp(input: z.input<S>): WriteOp {
    return { op: "put", collection: this.name, doc: this.check(input) };
  }

  deleteOp(id: string): WriteOp {
    return { op: "delete", collection: this.name, id };
  }

  deleteManyOp(filter: Filter): WriteOp {
    return { op: "deleteMany", collection: this.name, filter };
  }

  async find(filter?: Filter, options?: FindOptions): Promise<z.output<S>[]> {
    return (await this.collection.find(filter, options)).map((raw) => this.parseStored(raw));
  }

  async count(filter?: Filter): Promise<number> {
    return this.collection.count(filter);
  }

  async delete(id: string): Promise<boolean> {
    return this.collection.delete(id);
  }

  async deleteMany(filter: Filter): Promise<number> {
    return this.collection.deleteMany(filter);
  }
}

/**
 * What every repository shares: its validated collection (whose name it tells) and the two writes, `put` now or
 * `putOp` for `DocumentStore.applyOnce`, both of the document `toStored` makes of the input (derived keys filled in,
 * ids checked). Queries stay in the repositories.
 */
export abstract class Repository<S extends DocSchema, I = z.input<S>> {
  protected constructor(protected readonly docs: ValidatedCollection<S>) {}

  get collectionName(): string {
    return this.docs.name;
  }

  /** Validates and writes; returns the document as stored (defaults filled, times normalised). */
  async put(input: I): Promise<z.output<S>> {
    return this.docs.put(this.toStored(input));
  }

  /** The same write as an op for `DocumentStore.applyOnce`. */
  putOp(input: I): WriteOp {
    return this.docs.putOp(this.toStored(input));
  }

  /** The document to validate and write for `input`. */
  protected abstract toStored(input: I): z.input<S>;
}

/** What a timeline query may say besides its page: a time range on `at` (from inclusive, to exclusive). */
export interface TimelineQuery extends Page {
  from?: UtcTimeInput;
  to?: UtcTimeInput;
}

/**
 * Records of what happened at a time `at` (alerts, sightings), stored as given: found by id, listed newest first and
 * counted by a query (a time range and the `matchFields` it sets), removed by age (retention).
 */
export abstract class TimelineRepository<S extends DocSchema, Q extends TimelineQuery> extends Repository<S> {
  /** The query's fields that select the records with that value, in the filter's order. */
  protected abstract readonly matchFields: readonly Exclude<keyof Q & string, keyof TimelineQuery>[];

  async get(id: string): Promise<z.output<S> | undefined> {
    return this.docs.get(id);
  }

  protected toStored(record: z.input<S>): z.input<S> {
    return record;
  }

  /** Newest first. */
  async list(query: Partial<Q> = {}): Promise<z.output<S>[]> {
    return this.docs.find(this.filterOf(query), { sort: { at: -1 }, limit: query.limit, skip: query.skip });
  }

  async count(query: Partial<Omit<Q, "limit" | "skip">> = {}): Promise<number> {
    return this.docs.count(this.filterOf(query));
  }

  /** Retention: deletes the records older than `before`; returns how many. */
  async deleteOlderThan(before: UtcTimeInput): Promise<number> {
    return this.docs.deleteMany({ at: { $lt: utc(before, "before") } });
  }

  private filterOf(query: Partial<Omit<Q, "limit" | "skip">>): Filter {
    const { from, to } = query as TimelineQuery;
    const filter: Filter = { ...timeRange("at", from, to) };
    for (const field of this.matchFields) {
      const value = (query as Partial<Q>)[field];
      if (value !== undefined) filter[field] = value as Scalar;
    }
    return filter;
  }
}
