import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreConflictError, StoreError, StoreValidationError, messageOf } from "./errors.ts";
import { assertKey, checkCutoff } from "./names.ts";
import {
  type CheckedOp,
  type Condition,
  assertDocId,
  checkOps,
  checkPosition,
  parseCollectionDef,
  parseFilter,
  parseFindPlan,
  serializeDoc,
} from "./query.ts";
import {
  CASEFOLD_FUNCTION,
  type Sql,
  casefold,
  compileCount,
  compileCreateIndex,
  compileDeleteMany,
  compileFind,
  quoteIdent,
} from "./sqliteQuery.ts";
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

export interface SqliteStoreOptions {
  /** A file path (its directory is created) or ":memory:". */
  path: string;
  /** How long a write waits for another connection's lock before failing (SQLite busy timeout). Default 5000. */
  busyTimeoutMs?: number;
  /** Clock for the applied-at records. */
  now?: () => Date;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const STATEMENT_CACHE_SIZE = 256;

/** Opens (creating when missing) an embedded SQLite document store. Several processes may share one file. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<DocumentStore> {
  return SqliteDocumentStore.open(options);
}

type Row = Record<string, unknown>;

function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function toStoreError(err: unknown, what: string, collection?: string): StoreError {
  if (err instanceof StoreError) return err;
  if (isConflict(err)) return new StoreConflictError(`${what}: ${messageOf(err)}`, collection, { cause: err });
  return new StoreError(`${what}: ${messageOf(err)}`, { cause: err });
}

function parseDocText(row: unknown, table: string): Doc {
  const text = (row as Row | undefined)?.doc;
  if (typeof text !== "string") throw new StoreError(`${table}: a row has no document text`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StoreError(`${table}: a stored document is not valid JSON`, { cause: err });
  }
  if (typeof value !== "object" || value === null || typeof (value as Row).id !== "string") {
    throw new StoreError(`${table}: a stored document has no string id`);
  }
  // The generic layer trusts the stored shape beyond `id`; repositories parse documents with zod.
  return value as Doc;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

class SqliteDocumentStore implements DocumentStore {
  readonly kind = "sqlite" as const;
  readonly atomicApply = true;
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #declared = new Set<string>();
  readonly #statements = new Map<string, Database.Statement>();
  readonly #apply: Database.Transaction<
    (projection: string, eventId: string, seq: number | undefined, ops: CheckedOp[]) => ApplyResult
  >;
  #closed = false;

  static open(options: SqliteStoreOptions): SqliteDocumentStore {
    assertKey("sqlite path", options.path, 4096);
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new StoreValidationError("busyTimeoutMs must be a non-negative integer");
    }
    const inMemory = options.path === ":memory:";
    let db: Database.Database;
    try {
      if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
      db = new Database(options.path, { timeout: busyTimeoutMs });
    } catch (err) {
      throw toStoreError(err, `sqlite: cannot open ${options.path}`);
    }
    try {
      return new SqliteDocumentStore(db, inMemory, busyTimeoutMs, options.now ?? (() => new Date()));
    } catch (err) {
      db.close();
      throw toStoreError(err, `sqlite: cannot initialise ${options.path}`);
    }
  }

  private constructor(db: Database.Database, inMemory: boolean, busyTimeoutMs: number, now: () => Date) {
    this.#db = db;
    this.#now = now;
    // Switching a fresh file to WAL needs a moment alone with it; when several processes open the same new file at
    // once, one may see SQLITE_BUSY even with the busy timeout, so retry until the same deadline.
    this.#retryBusy(busyTimeoutMs, () => {
      if (!inMemory && db.pragma("journal_mode", { simple: true }) !== "wal") db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(`CREATE TABLE IF NOT EXISTS "_applied" (
          projection TEXT NOT NULL,
          event_id TEXT NOT NULL,
          seq INTEGER,
          applied_at TEXT NOT NULL,
          PRIMARY KEY (projection, event_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS "_applied_at" ON "_applied" (applied_at);
        CREATE TABLE IF NOT EXISTS "_checkpoints" (
          projection TEXT PRIMARY KEY,
          seq INTEGER NOT NULL,
          updated_at TEXT NOT NULL
        ) WITHOUT ROWID;`);
    });
    db.function(CASEFOLD_FUNCTION, { deterministic: true }, (value: unknown) =>
      typeof value === "string" ? casefold(value) : value,
    );
    this.#apply = db.transaction((projection, eventId, seq, ops) => {
      if (seq !== undefined) {
        const checkpoint = this.#stmt(`SELECT seq FROM "_checkpoints" WHERE projection = ?`).get(projection) as Row | undefined;
        if (typeof checkpoint?.seq === "number" && seq <= checkpoint.seq) return "skipped";
      }
      const at = this.#now().toISOString();
      const recorded = this.#stmt(
        `INSERT INTO "_applied" (projection, event_id, seq, applied_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(projection, eventId, seq ?? null, at);
      if (recorded.changes === 0) return "skipped";
      for (const op of ops) this.#write(op);
      if (seq !== undefined) {
        this.#stmt(
          `INSERT INTO "_checkpoints" (projection, seq, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (projection) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at`,
        ).run(projection, seq, at);
      }
      return "applied";
    });
  }

  #retryBusy(timeoutMs: number, fn: () => void): void {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      try {
        fn();
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        sleepSync(delay);
      }
    }
  }

  #stmt(sql: string): Database.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.#statements.keys().next();
        if (oldest.done !== true) this.#statements.delete(oldest.value);
      }
      this.#statements.set(sql, stmt);
    } else {
      // Refresh its place in the LRU order.
      this.#statements.delete(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #run(sql: Sql): Database.RunResult {
    return this.#stmt(sql.sql).run(...sql.params);
  }

  /** Runs synchronous work as one store call: checks the store is open and maps driver errors. */
  call<R>(what: string, collection: string | undefined, fn: () => R): R {
    if (this.#closed) throw new StoreError(`${what}: the store is closed`);
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, what, collection);
    }
  }

  #write(op: CheckedOp): number {
    const table = quoteIdent(op.collection);
    switch (op.op) {
      case "put":
        this.#stmt(`INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`).run(
          op.doc.id,
          op.doc.json,
        );
        return 1;
      case "delete":
        return this.#stmt(`DELETE FROM ${table} WHERE id = ?`).run(op.id).changes;
      case "deleteMany":
        return this.#run(compileDeleteMany(op.collection, op.conditions)).changes;
      default: {
        const never: never = op;
        throw new Error(`unhandled op ${JSON.stringify(never)}`);
      }
    }
  }

  async collection<T extends Doc>(def: CollectionDef): Promise<Collection<T>> {
    const checked = parseCollectionDef(def);
    this.call(`sqlite: declare ${checked.name}`, checked.name, () => {
      this.#db
        .transaction(() => {
          this.#db.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdent(checked.name)} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
          for (const index of checked.indexes)
            this.#db.exec(compileCreateIndex(checked.name, index.fields, index.unique === true));
        })
        .immediate();
    });
    this.#declared.add(checked.name);
    return new SqliteCollection<T>(this, checked.name);
  }

  // The collection's operations, run synchronously inside `call`.
  get(table: string, id: string): Doc | undefined {
    return this.call(`sqlite: get from ${table}`, table, () => {
      assertDocId(id, table);
      const row = this.#stmt(`SELECT doc FROM ${quoteIdent(table)} WHERE id = ?`).get(id);
      return row === undefined ? undefined : parseDocText(row, table);
    });
  }

  put(table: string, doc: unknown): void {
    this.call(`sqlite: put into ${table}`, table, () => {
      this.#write({ op: "put", collection: table, doc: serializeDoc(doc, table) });
    });
  }

  delete(table: string, id: string): boolean {
    return this.call(`sqlite: delete from ${table}`, table, () => {
      assertDocId(id, table);
      return this.#write({ op: "delete", collection: table, id }) > 0;
    });
  }

  deleteMany(table: string, filter: unknown): number {
    return this.call(`sqlite: deleteMany from ${table}`, table, () =>
      this.#write({ op: "deleteMany", collection: table, conditions: parseFilter(filter) }),
    );
  }

  find(table: string, filter: unknown, options: unknown): Doc[] {
    return this.call(`sqlite: find in ${table}`, table, () => {
      const sql = compileFind(table, parseFindPlan(filter, options));
      return this.#stmt(sql.sql)
        .all(...sql.params)
        .map((row) => parseDocText(row, table));
    });
  }

  count(table: string, conditions: Condition[]): number {
    return this.call(`sqlite: count in ${table}`, table, () => {
      const sql = compileCount(table, conditions);
      const n = (this.#stmt(sql.sql).get(...sql.params) as Row | undefined)?.n;
      if (typeof n !== "number") throw new StoreError(`${table}: count returned no number`);
      return n;
    });
  }

  async applyOnce(projection: string, position: EventPosition, ops: WriteOp[]): Promise<ApplyResult> {
    assertKey("projection", projection, 200);
    const { eventId, seq } = checkPosition(position);
    const checked = checkOps(ops, this.#declared);
    // BEGIN IMMEDIATE takes the write lock up front, so the checks and the writes see one consistent state even with
    // other processes writing the same file; a failing op rolls back the record and the checkpoint too.
    return this.call(`sqlite: applyOnce ${projection}/${eventId}`, undefined, () =>
      this.#apply.immediate(projection, eventId, seq, checked),
    );
  }

  async checkpoint(projection: string): Promise<number> {
    assertKey("projection", projection, 200);
    return this.call(`sqlite: checkpoint ${projection}`, undefined, () => {
      const row = this.#stmt(`SELECT seq FROM "_checkpoints" WHERE projection = ?`).get(projection) as Row | undefined;
      return typeof row?.seq === "number" ? row.seq : 0;
    });
  }

  async resetProjection(projection: string): Promise<void> {
    assertKey("projection", projection, 200);
    this.call(`sqlite: resetProjection ${projection}`, undefined, () => {
      this.#db
        .transaction(() => {
          this.#stmt(`DELETE FROM "_applied" WHERE projection = ?`).run(projection);
          this.#stmt(`DELETE FROM "_checkpoints" WHERE projection = ?`).run(projection);
        })
        .immediate();
    });
  }

  async pruneApplied(olderThan: Date): Promise<number> {
    const cutoff = checkCutoff(olderThan);
    return this.call("sqlite: pruneApplied", undefined, () =>
      Number(this.#stmt(`DELETE FROM "_applied" WHERE applied_at < ?`).run(cutoff).changes),
    );
  }

  async sizeBytes(): Promise<number> {
    const pages = Number(this.#db.pragma("page_count", { simple: true }));
    const size = Number(this.#db.pragma("page_size", { simple: true }));
    return pages * size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }
}

class SqliteCollection<T extends Doc> implements Collection<T> {
  readonly #store: SqliteDocumentStore;

  constructor(
    store: SqliteDocumentStore,
    readonly name: string,
  ) {
    this.#store = store;
  }

  // `T` is the caller's declared shape: this generic layer parses JSON only; repositories validate with zod.
  async get(id: string): Promise<T | undefined> {
    return this.#store.get(this.name, id) as T | undefined;
  }

  async put(doc: T): Promise<void> {
    this.#store.put(this.name, doc);
  }

  async delete(id: string): Promise<boolean> {
    return this.#store.delete(this.name, id);
  }

  async deleteMany(filter: Filter): Promise<number> {
    return this.#store.deleteMany(this.name, filter);
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    return this.#store.find(this.name, filter, options) as T[];
  }

  async count(filter?: Filter): Promise<number> {
    return this.#store.count(this.name, parseFilter(filter));
  }
}
