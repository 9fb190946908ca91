/** Every failure the store reports is a StoreError; callers branch on the subclass, never on driver errors. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** A write broke a unique index (or a primary key raced). Retrying the same write will fail again. */
export class StoreConflictError extends StoreError {
  override name = "StoreConflictError";

  constructor(
    message: string,
    /** The collection written to, when known. */
    readonly collection?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Input the store refuses (a bad collection or field name, an unknown filter operator, a document without `id`) or
 * a stored document that does not match its repository's schema. `cause` is the ZodError when zod found it.
 */
export class StoreValidationError extends StoreError {
  override name = "StoreValidationError";
}

/** Describes an unknown thrown value without assuming it is an Error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
