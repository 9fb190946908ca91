import { StoreValidationError, messageOf } from "./errors.ts";
import { assertCollectionName, assertFieldPath } from "./names.ts";
import type { CollectionDef, Scalar } from "./types.ts";

/**
 * The adapter-neutral form of filters, options, documents and write ops. Everything that reaches an adapter has been
 * checked here first, so both adapters accept and reject exactly the same input (filters may come from HTTP queries).
 */

export type Condition =
  | { path: string; op: "eq" | "ne" | "has"; value: Scalar }
  | { path: string; op: "gt" | "gte" | "lt" | "lte"; value: string | number }
  | { path: string; op: "in"; values: Scalar[] }
  | { path: string; op: "contains"; value: string }
  | { path: string; op: "exists"; value: boolean };

export interface FindPlan {
  conditions: Condition[];
  /** Field path and direction, in priority order; adapters append the id as the final tie-breaker. */
  sort: [string, 1 | -1][];
  /** Undefined means no limit. */
  limit: number | undefined;
  skip: number;
}

const OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$contains", "$exists", "$has"]);
const MAX_IN_VALUES = 1000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function scalar(path: string, op: string, value: unknown): Scalar {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new StoreValidationError(`filter on ${path}: ${op} needs a string, finite number, boolean or null`);
}

function orderable(path: string, op: string, value: unknown): string | number {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new StoreValidationError(`filter on ${path}: ${op} needs a string or finite number`);
}

/** Checks a filter and flattens it into conditions (ANDed). */
export function parseFilter(filter: unknown): Condition[] {
  if (filter === undefined) return [];
  if (!isPlainObject(filter)) throw new StoreValidationError("a filter must be a plain object");
  const conditions: Condition[] = [];
  for (const [path, spec] of Object.entries(filter)) {
    assertFieldPath(path);
    if (!isPlainObject(spec)) {
      conditions.push({ path, op: "eq", value: scalar(path, "equality", spec) });
      continue;
    }
    const entries = Object.entries(spec);
    if (entries.length === 0) throw new StoreValidationError(`filter on ${path}: empty operator object`);
    for (const [op, operand] of entries) {
      if (!OPERATORS.has(op)) throw new StoreValidationError(`filter on ${path}: unknown operator ${JSON.stringify(op)}`);
      switch (op) {
        case "$eq":
        case "$ne":
        case "$has":
          conditions.push({ path, op: op === "$eq" ? "eq" : op === "$ne" ? "ne" : "has", value: scalar(path, op, operand) });
          break;
        case "$gt":
        case "$gte":
        case "$lt":
        case "$lte":
          conditions.push({
            path,
            op: op === "$gt" ? "gt" : op === "$gte" ? "gte" : op === "$lt" ? "lt" : "lte",
            value: orderable(path, op, operand),
          });
          break;
        case "$in":
          if (!Array.isArray(operand) || operand.length > MAX_IN_VALUES) {
            throw new StoreValidationError(`filter on ${path}: $in needs an array of at most ${MAX_IN_VALUES} scalars`);
          }
          conditions.push({ path, op: "in", values: operand.map((v: unknown) => scalar(path, op, v)) });
          break;
        case "$contains":
          if (typeof operand !== "string") throw new StoreValidationError(`filter on ${path}: $contains needs a string`);
          conditions.push({ path, op: "contains", value: operand });
          break;
        case "$exists":
          if (typeof operand !== "boolean") throw new StoreValidationError(`filter on ${path}: $exists needs a boolean`);
          conditions.push({ path, op: "exists", value: operand });
          break;
        default:
          throw new StoreValidationError(`filter on ${path}: unknown operator ${JSON.stringify(op)}`);
      }
    }
  }
  return conditions;
}

function count(what: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new StoreValidationError(`${what} must be a non-negative integer`);
  }
  return value;
}

export function parseFindPlan(filter: unknown, options: unknown): FindPlan {
  const conditions = parseFilter(filter);
  if (options === undefined) return { conditions, sort: [], limit: undefined, skip: 0 };
  if (!isPlainObject(options)) throw new StoreValidationError("find options must be a plain object");
  const sort: [string, 1 | -1][] = [];
  if (options.sort !== undefined) {
    if (!isPlainObject(options.sort)) throw new StoreValidationError("sort must be an object of field -> 1 | -1");
    for (const [path, dir] of Object.entries(options.sort)) {
      assertFieldPath(path);
      if (dir !== 1 && dir !== -1) throw new StoreValidationError(`sort on ${path}: direction must be 1 or -1`);
      sort.push([path, dir]);
    }
  }
  return { conditions, sort, limit: count("limit", options.limit), skip: count("skip", options.skip) ?? 0 };
}

export function parseCollectionDef(def: unknown): Required<CollectionDef> {
  if (!isPlainObject(def)) throw new StoreValidationError("a collection definition must be an object");
  assertCollectionName(def.name);
  const indexes: { fields: string[]; unique?: boolean }[] = [];
  if (def.indexes !== undefined) {
    if (!Array.isArray(def.indexes)) throw new StoreValidationError(`collection ${def.name}: indexes must be an array`);
    for (const index of def.indexes as unknown[]) {
      if (!isPlainObject(index) || !Array.isArray(index.fields) || index.fields.length === 0 || index.fields.length > 8) {
        throw new StoreValidationError(`collection ${def.name}: each index needs 1 to 8 fields`);
      }
      const fields = (index.fields as unknown[]).map((f) => {
        assertFieldPath(f);
        return f;
      });
      if (index.unique !== undefined && typeof index.unique !== "boolean") {
        throw new StoreValidationError(`collection ${def.name}: index unique must be a boolean`);
      }
      indexes.push({ fields, unique: index.unique === true });
    }
  }
  return { name: def.name, indexes };
}

export interface SerializedDoc {
  id: string;
  /** The document as JSON text, id included. */
  json: string;
}

/**
 * Checks a document and turns it into JSON. Both adapters store what JSON keeps (a Date becomes its ISO string,
 * undefined members disappear), so a document reads back the same from either.
 */
export function serializeDoc(doc: unknown, collection: string): SerializedDoc {
  if (!isPlainObject(doc)) throw new StoreValidationError(`${collection}: a document must be a plain object`);
  const id = doc.id;
  if (typeof id !== "string" || id.length === 0 || id.length > 1024) {
    throw new StoreValidationError(`${collection}: a document needs a string id of 1 to 1024 characters`);
  }
  if ("_id" in doc) throw new StoreValidationError(`${collection}: a document may not carry _id (the store maps id to it)`);
  let json: string;
  try {
    json = JSON.stringify(doc);
  } catch (err) {
    throw new StoreValidationError(`${collection}: document ${id} is not JSON-serialisable: ${messageOf(err)}`, { cause: err });
  }
  return { id, json };
}

export function assertDocId(id: unknown, collection: string): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > 1024) {
    throw new StoreValidationError(`${collection}: an id must be a string of 1 to 1024 characters`);
  }
}

export type CheckedOp =
  | { op: "put"; collection: string; doc: SerializedDoc }
  | { op: "delete"; collection: string; id: string }
  | { op: "deleteMany"; collection: string; conditions: Condition[] };

/** Checks the ops of one unit of work against the collections declared on the store. */
export function checkOps(ops: unknown, declared: ReadonlySet<string>): CheckedOp[] {
  if (!Array.isArray(ops)) throw new StoreValidationError("applyOnce: ops must be an array");
  return (ops as unknown[]).map((raw, i): CheckedOp => {
    if (!isPlainObject(raw)) throw new StoreValidationError(`applyOnce: op ${i} must be an object`);
    const op = raw;
    if (typeof op.collection !== "string" || !declared.has(op.collection)) {
      throw new StoreValidationError(
        `applyOnce: op ${i} targets ${JSON.stringify(op.collection)}, which was not declared with collection() on this store`,
      );
    }
    switch (op.op) {
      case "put":
        return { op: "put", collection: op.collection, doc: serializeDoc(op.doc, op.collection) };
      case "delete":
        assertDocId(op.id, op.collection);
        return { op: "delete", collection: op.collection, id: op.id };
      case "deleteMany":
        return { op: "deleteMany", collection: op.collection, conditions: parseFilter(op.filter) };
      default:
        throw new StoreValidationError(`applyOnce: op ${i} has unknown kind ${JSON.stringify(op.op)}`);
    }
  });
}

export function checkPosition(position: unknown): { eventId: string; seq: number | undefined } {
  if (!isPlainObject(position)) throw new StoreValidationError("applyOnce: position must be an object");
  const { eventId, seq } = position;
  if (typeof eventId !== "string" || eventId.length === 0 || eventId.length > 512) {
    throw new StoreValidationError("applyOnce: eventId must be a non-empty string of at most 512 characters");
  }
  if (seq !== undefined && (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1)) {
    throw new StoreValidationError("applyOnce: seq must be a positive integer (stream sequences start at 1)");
  }
  return { eventId, seq };
}
