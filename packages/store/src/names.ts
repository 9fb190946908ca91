import { StoreValidationError } from "./errors.ts";

/**
 * Names that end up inside SQL text (table names, json paths, index names) are checked against strict patterns;
 * values never are: they are always bound parameters.
 */

const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_PATH_SEGMENTS = 8;

export function assertCollectionName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !COLLECTION_NAME.test(name) || name.startsWith("sqlite_")) {
    throw new StoreValidationError(
      `invalid collection name ${JSON.stringify(name)}: expected [a-z][a-z0-9_]* (at most 63 characters, not sqlite_*)`,
    );
  }
}

/** A field path: dot-separated segments of [A-Za-z_][A-Za-z0-9_]*, e.g. "camera.id". "id" is the document id. */
export function assertFieldPath(path: unknown): asserts path is string {
  if (typeof path !== "string") throw new StoreValidationError(`invalid field path ${JSON.stringify(path)}`);
  const segments = path.split(".");
  if (segments.length > MAX_PATH_SEGMENTS || !segments.every((s) => FIELD_SEGMENT.test(s)) || segments[0] === "_id") {
    throw new StoreValidationError(
      `invalid field path ${JSON.stringify(path)}: expected dot-separated [A-Za-z_][A-Za-z0-9_]* segments (not _id)`,
    );
  }
}

/** Projection names and event ids are bound values, so only their shape is limited. */
export function assertKey(what: string, value: unknown, maxLength = 512): asserts value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) {
    throw new StoreValidationError(
      `invalid ${what} ${JSON.stringify(value)}: expected a non-empty string of at most ${maxLength} characters`,
    );
  }
}

/** A valid Date as the ISO string the applied-at records are compared with. */
export function checkCutoff(olderThan: unknown): string {
  if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) {
    throw new StoreValidationError(`invalid cut-off ${String(olderThan)}: expected a valid Date`);
  }
  return olderThan.toISOString();
}
