/**
 * The document store: a small repository interface with two adapters (embedded SQLite, MongoDB).
 * Every document has a string `id`. Filters are a tiny, portable subset of MongoDB's query language.
 */

export type Scalar = string | number | boolean | null;

/** Operators on one field. Fields may be dotted paths into nested objects ("camera.id"). */
export interface FieldOps {
  $eq?: Scalar;
  $ne?: Scalar;
  $gt?: string | number;
  $gte?: string | number;
  $lt?: string | number;
  $lte?: string | number;
  $in?: Scalar[];
  /** Case-insensitive substring match on a string field. */
  $contains?: string;
  $exists?: boolean;
  /** The field is an array with at least one element equal to this scalar. */
  $has?: Scalar;
}

/**
 * Field -> value (equality) or operators; all conditions are ANDed. The operators other than `$has` and `$exists`
 * compare scalars of the same JSON type (a number never equals a string or a boolean, MongoDB's type bracketing);
 * their result on array- or object-valued fields is unspecified (the adapters differ), use `$has` for arrays.
 */
export type Filter = Record<string, Scalar | FieldOps>;

export interface FindOptions {
  sort?: Record<string, 1 | -1>;
  limit?: number;
  skip?: number;
}

export interface CollectionDef {
  /** Collection / table name: [a-z][a-z0-9_]*. */
  name: string;
  /** Fields (dotted paths allowed) to index; each entry is one (possibly compound) index. */
  indexes?: { fields: string[]; unique?: boolean }[];
}

export interface Doc {
  id: string;
}

export interface Collection<T extends Doc> {
  readonly name: string;
  get(id: string): Promise<T | undefined>;
  /** Insert or replace the whole document. */
  put(doc: T): Promise<void>;
  delete(id: string): Promise<boolean>;
  deleteMany(filter: Filter): Promise<number>;
  find(filter?: Filter, options?: FindOptions): Promise<T[]>;
  count(filter?: Filter): Promise<number>;
}

/** One write inside an atomic unit of work. */
export type WriteOp =
  | { op: "put"; collection: string; doc: Doc }
  | { op: "delete"; collection: string; id: string }
  | { op: "deleteMany"; collection: string; filter: Filter };

/**
 * Where an event stands, for idempotent projections. `seq` is the stream sequence (ordered consumers:
 * anything at or below the checkpoint is skipped); `eventId` is the envelope id (always deduplicated).
 */
export interface EventPosition {
  eventId: string;
  seq?: number;
}

export type ApplyResult = "applied" | "skipped";

export interface DocumentStore {
  readonly kind: "sqlite" | "mongodb";
  /**
   * True when `applyOnce` is all-or-nothing (SQLite always; MongoDB on a replica set or sharded cluster). A standalone
   * MongoDB server has no transactions: there `applyOnce` still deduplicates but a failing op can leave earlier ops
   * of the same unit applied.
   */
  readonly atomicApply: boolean;
  /**
   * Declare (create if missing, with indexes) and return a collection. Idempotent. `applyOnce` only writes to
   * collections declared on this store instance.
   */
  collection<T extends Doc>(def: CollectionDef): Promise<Collection<T>>;
  /**
   * Apply `ops` atomically together with the projection's checkpoint, exactly once per (projection, eventId)
   * and never for a seq at or below the projection's last applied seq. Returns "skipped" when already applied.
   */
  applyOnce(projection: string, position: EventPosition, ops: WriteOp[]): Promise<ApplyResult>;
  /** Last applied seq for a projection (0 when none). */
  checkpoint(projection: string): Promise<number>;
  /** Forget a projection's checkpoint and applied-event records (before a rebuild by replay). */
  resetProjection(projection: string): Promise<void>;
  /**
   * Delete the applied-event records (of every projection) applied before `olderThan`; returns how many went.
   * Checkpoints stay, so events at or below them are still skipped; only a duplicate of a pruned event id arriving
   * with a newer seq (or without one) would apply again. The cleaner prunes records older than
   * RETENTION_APPLIED_DAYS, far beyond any redelivery or the streams' duplicate window.
   */
  pruneApplied(olderThan: Date): Promise<number>;
  /** Bytes the store takes: SQLite's pages (page_count x page_size), MongoDB's storage and index sizes (dbStats). */
  sizeBytes?(): Promise<number>;
  close(): Promise<void>;
}
