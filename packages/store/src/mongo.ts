import {
  type ClientSession,
  type Db,
  type Document,
  type Filter as MongoFilter,
  MongoClient,
  MongoServerError,
  type Collection as MongoCollection,
} from "mongodb";
import { StoreConflictError, StoreError, StoreValidationError, messageOf } from "./errors.ts";
import { compileMongoFilter, compileMongoIndex, compileMongoSort } from "./mongoQuery.ts";
import { assertKey, checkCutoff } from "./names.ts";
import {
  type CheckedOp,
  type SerializedDoc,
  assertDocId,
  checkOps,
  checkPosition,
  parseCollectionDef,
  parseFilter,
  parseFindPlan,
  serializeDoc,
} from "./query.ts";
import type {
  ApplyResult,
  Collection,
  CollectionDef,
  Doc,
  DocumentStore,
  EventPosition,
  Filter,
  FindOptions,
  WriteOp,
} from "./types.ts";

export type MongoWriteConcern = "majority" | number;

export interface MongoStoreOptions {
  /** mongodb:// or mongodb+srv:// connection string. */
  url: string;
  database: string;
  /** `w` for every write and transaction commit. Default "majority". */
  writeConcern?: MongoWriteConcern;
  /** How long to look for a server before failing an operation. Default 10000. */
  serverSelectionTimeoutMs?: number;
  /** Clock for the applied-at records. */
  now?: () => Date;
}

const APPLIED = "_applied";
const CHECKPOINTS = "_checkpoints";
const APPLIED_INDEX = "applied_projection_eventId";
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** Opens a MongoDB document store with the official driver. Transactions are used when the deployment has them. */
export async function openMongoStore(options: MongoStoreOptions): Promise<DocumentStore> {
  return MongoDocumentStore.open(options);
}

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

function toStoreError(err: unknown, what: string, collection?: string): StoreError {
  if (err instanceof StoreError) return err;
  if (isDuplicateKey(err)) return new StoreConflictError(`${what}: ${messageOf(err)}`, collection, { cause: err });
  return new StoreError(`${what}: ${messageOf(err)}`, { cause: err });
}

/** Every collection here keys documents by a string `_id` (the document's `id`, or the projection name). */
interface StoredDoc extends Document {
  _id: string;
}

/** The compiled filter is built by us from checked conditions; this only tells the driver's types so. */
function mongoFilter(conditions: Parameters<typeof compileMongoFilter>[0]): MongoFilter<StoredDoc> {
  return compileMongoFilter(conditions) as MongoFilter<StoredDoc>;
}

/** The stored body: the document without `id`, which becomes `_id`. JSON-normalised like the SQLite adapter's. */
function toMongo(doc: SerializedDoc): Document {
  const parsed: unknown = JSON.parse(doc.json);
  const { id: _ignored, ...body } = parsed as Record<string, unknown>;
  return body;
}

function fromMongo(raw: Document): Doc {
  const { _id, ...rest } = raw;
  // The generic layer trusts the stored shape beyond `id`; repositories parse documents with zod.
  return { id: String(_id), ...rest } as Doc;
}

async function ensureCollection(db: Db, name: string): Promise<void> {
  const existing = await db.listCollections({ name }, { nameOnly: true }).toArray();
  if (existing.length > 0) return;
  try {
    await db.createCollection(name);
  } catch (err) {
    // Another process created it in the meantime.
    if (!(err instanceof MongoServerError && err.codeName === "NamespaceExists")) throw err;
  }
}

/** Thrown inside a transaction when another writer recorded the event first; never escapes applyOnce. */
class AlreadyApplied extends Error {}

class MongoDocumentStore implements DocumentStore {
  readonly kind = "mongodb" as const;
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #w: MongoWriteConcern;
  readonly #now: () => Date;
  readonly #declared = new Set<string>();
  readonly atomicApply: boolean;
  #closed = false;

  static async open(options: MongoStoreOptions): Promise<MongoDocumentStore> {
    assertKey("MongoDB url", options.url, 4096);
    if (!/^mongodb(\+srv)?:\/\//.test(options.url))
      throw new StoreValidationError("a MongoDB url starts with mongodb:// or mongodb+srv://");
    if (!DATABASE_NAME.test(options.database))
      throw new StoreValidationError(`invalid MongoDB database name ${JSON.stringify(options.database)}`);
    const w = options.writeConcern ?? "majority";
    if (w !== "majority" && (!Number.isSafeInteger(w) || w < 0))
      throw new StoreValidationError(`invalid write concern ${JSON.stringify(w)}`);
    const client = new MongoClient(options.url, {
      appName: "persona-id",
      writeConcern: { w },
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
    });
    try {
      await client.connect();
      const db = client.db(options.database);
      const hello = await db.command({ hello: 1 });
      // Transactions need a replica set member or a mongos router; a standalone server has neither.
      const transactions = typeof hello.setName === "string" || hello.msg === "isdbgrid";
      await db.collection(APPLIED).createIndex({ projection: 1, eventId: 1 }, { name: APPLIED_INDEX, unique: true });
      await db.collection(APPLIED).createIndex({ appliedAt: 1 }, { name: "applied_appliedAt" });
      await ensureCollection(db, CHECKPOINTS);
      return new MongoDocumentStore(client, db, w, transactions, options.now ?? (() => new Date()));
    } catch (err) {
      await client.close().catch(() => undefined);
      throw toStoreError(err, `mongodb: cannot open ${options.database}`);
    }
  }

  private constructor(client: MongoClient, db: Db, w: MongoWriteConcern, transactions: boolean, now: () => Date) {
    this.#client = client;
    this.#db = db;
    this.#w = w;
    this.atomicApply = transactions;
    this.#now = now;
  }

  raw(name: string): MongoCollection<StoredDoc> {
    return this.#db.collection<StoredDoc>(name);
  }

  /** Applied-event records: {projection, eventId, seq, appliedAt} with a driver-made _id and a unique index. */
  #applied(): MongoCollection<Document> {
    return this.#db.collection<Document>(APPLIED);
  }

  /** Runs one store call: checks the store is open and maps driver errors. */
  async call<R>(what: string, collection: string | undefined, fn: () => Promise<R>): Promise<R> {
    if (this.#closed) throw new StoreError(`${what}: the store is closed`);
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err, what, collection);
    }
  }

  async write(op: CheckedOp, session?: ClientSession): Promise<number> {
    const coll = this.raw(op.collection);
    switch (op.op) {
      case "put":
        await coll.replaceOne({ _id: op.doc.id }, toMongo(op.doc), { upsert: true, session });
        return 1;
      case "delete":
        return (await coll.deleteOne({ _id: op.id }, { session })).deletedCount;
      case "deleteMany":
        return (await coll.deleteMany(mongoFilter(op.conditions), { session })).deletedCount;
      default: {
        const never: never = op;
        throw new Error(`unhandled op ${JSON.stringify(never)}`);
      }
    }
  }

  async collection<T extends Doc>(def: CollectionDef): Promise<Collection<T>> {
    const checked = parseCollectionDef(def);
    await this.call(`mongodb: declare ${checked.name}`, checked.name, async () => {
      const coll = this.raw(checked.name);
      for (const index of checked.indexes) {
        if (index.fields.length === 1 && index.fields[0] === "id") continue; // _id is always indexed and unique
        const { key, options } = compileMongoIndex(index.fields, index.unique === true);
        await coll.createIndex(key, options);
      }
      // Collections are created here, never implicitly inside a transaction (MongoDB before 4.4 cannot).
      await ensureCollection(this.#db, checked.name);
    });
    this.#declared.add(checked.name);
    return new MongoDocCollection<T>(this, checked.name);
  }

  async applyOnce(projection: string, position: EventPosition, ops: WriteOp[]): Promise<ApplyResult> {
    assertKey("projection", projection, 200);
    const { eventId, seq } = checkPosition(position);
    const checked = checkOps(ops, this.#declared);
    return this.call(`mongodb: applyOnce ${projection}/${eventId}`, undefined, async () =>
      this.atomicApply
        ? this.#applyInTransaction(projection, eventId, seq, checked)
        : this.#applyWithoutTransaction(projection, eventId, seq, checked),
    );
  }

  async #isBehind(projection: string, seq: number | undefined, session?: ClientSession): Promise<boolean> {
    if (seq === undefined) return false;
    const checkpoint = await this.raw(CHECKPOINTS).findOne({ _id: projection }, { session });
    return typeof checkpoint?.seq === "number" && seq <= checkpoint.seq;
  }

  async #isRecorded(projection: string, eventId: string, session?: ClientSession): Promise<boolean> {
    return (await this.#applied().findOne({ projection, eventId }, { session, projection: { _id: 1 } })) !== null;
  }

  async #record(projection: string, eventId: string, seq: number | undefined, session?: ClientSession): Promise<void> {
    const at = this.#now().toISOString();
    try {
      await this.#applied().insertOne({ projection, eventId, seq: seq ?? null, appliedAt: at }, { session });
    } catch (err) {
      if (isDuplicateKey(err)) throw new AlreadyApplied(`${projection}/${eventId}`, { cause: err });
      throw err;
    }
  }

  async #advance(projection: string, seq: number | undefined, session?: ClientSession): Promise<void> {
    if (seq === undefined) return;
    await this.raw(CHECKPOINTS).updateOne(
      { _id: projection },
      { $max: { seq }, $set: { updatedAt: this.#now().toISOString() } },
      { upsert: true, session },
    );
  }

  async #applyInTransaction(
    projection: string,
    eventId: string,
    seq: number | undefined,
    ops: CheckedOp[],
  ): Promise<ApplyResult> {
    const session = this.#client.startSession();
    try {
      return await session.withTransaction(
        async (): Promise<ApplyResult> => {
          if (await this.#isBehind(projection, seq, session)) return "skipped";
          if (await this.#isRecorded(projection, eventId, session)) return "skipped";
          await this.#record(projection, eventId, seq, session);
          for (const op of ops) await this.write(op, session);
          await this.#advance(projection, seq, session);
          return "applied";
        },
        { readConcern: { level: "snapshot" }, writeConcern: { w: this.#w }, readPreference: "primary" },
      );
    } catch (err) {
      // A concurrent writer committed the same event between our check and our insert: the whole unit rolled back.
      if (err instanceof AlreadyApplied) return "skipped";
      throw err;
    } finally {
      await session.endSession();
    }
  }

  /**
   * Standalone servers: at-least-once instead of all-or-nothing. The ops run first and the event is recorded after
   * them, so a crash in between re-applies the (replace-style, idempotent) ops on redelivery instead of losing them.
   */
  async #applyWithoutTransaction(
    projection: string,
    eventId: string,
    seq: number | undefined,
    ops: CheckedOp[],
  ): Promise<ApplyResult> {
    if (await this.#isBehind(projection, seq)) return "skipped";
    if (await this.#isRecorded(projection, eventId)) return "skipped";
    for (const op of ops) await this.write(op);
    try {
      await this.#record(projection, eventId, seq);
    } catch (err) {
      if (err instanceof AlreadyApplied) return "skipped";
      throw err;
    }
    await this.#advance(projection, seq);
    return "applied";
  }

  async checkpoint(projection: string): Promise<number> {
    assertKey("projection", projection, 200);
    return this.call(`mongodb: checkpoint ${projection}`, undefined, async () => {
      const doc = await this.raw(CHECKPOINTS).findOne({ _id: projection });
      return typeof doc?.seq === "number" ? doc.seq : 0;
    });
  }

  async resetProjection(projection: string): Promise<void> {
    assertKey("projection", projection, 200);
    await this.call(`mongodb: resetProjection ${projection}`, undefined, async () => {
      await this.raw(CHECKPOINTS).deleteOne({ _id: projection });
      await this.#applied().deleteMany({ projection });
    });
  }

  async pruneApplied(olderThan: Date): Promise<number> {
    const cutoff = checkCutoff(olderThan);
    return this.call("mongodb: pruneApplied", undefined, async () => {
      const r = await this.#applied().deleteMany({ appliedAt: { $lt: cutoff } });
      return r.deletedCount;
    });
  }

  async sizeBytes(): Promise<number> {
    const st = (await this.#db.stats()) as { storageSize?: number; indexSize?: number };
    return (st.storageSize ?? 0) + (st.indexSize ?? 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }
}

class MongoDocCollection<T extends Doc> implements Collection<T> {
  readonly #store: MongoDocumentStore;

  constructor(
    store: MongoDocumentStore,
    readonly name: string,
  ) {
    this.#store = store;
  }

  async get(id: string): Promise<T | undefined> {
    return this.#store.call(`mongodb: get from ${this.name}`, this.name, async () => {
      assertDocId(id, this.name);
      const raw = await this.#store.raw(this.name).findOne({ _id: id });
      return raw === null ? undefined : (fromMongo(raw) as T);
    });
  }

  async put(doc: T): Promise<void> {
    await this.#store.call(`mongodb: put into ${this.name}`, this.name, async () => {
      await this.#store.write({ op: "put", collection: this.name, doc: serializeDoc(doc, this.name) });
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.#store.call(`mongodb: delete from ${this.name}`, this.name, async () => {
      assertDocId(id, this.name);
      return (await this.#store.write({ op: "delete", collection: this.name, id })) > 0;
    });
  }

  async deleteMany(filter: Filter): Promise<number> {
    return this.#store.call(`mongodb: deleteMany from ${this.name}`, this.name, async () =>
      this.#store.write({ op: "deleteMany", collection: this.name, conditions: parseFilter(filter) }),
    );
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    return this.#store.call(`mongodb: find in ${this.name}`, this.name, async () => {
      const plan = parseFindPlan(filter, options);
      if (plan.limit === 0) return [];
      let cursor = this.#store.raw(this.name).find(mongoFilter(plan.conditions)).sort(compileMongoSort(plan));
      if (plan.skip > 0) cursor = cursor.skip(plan.skip);
      if (plan.limit !== undefined) cursor = cursor.limit(plan.limit);
      return (await cursor.toArray()).map((raw) => fromMongo(raw) as T);
    });
  }

  async count(filter?: Filter): Promise<number> {
    return this.#store.call(`mongodb: count in ${this.name}`, this.name, async () =>
      this.#store.raw(this.name).countDocuments(mongoFilter(parseFilter(filter))),
    );
  }
}
