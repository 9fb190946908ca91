/**
 * The base of the packages' typed errors: a machine-readable `code` (callers branch on it) and the underlying error in
 * `cause`. Also exported as `@persona/runtime/errors`, which loads nothing else (for the vision workers and the model
 * build).
 */
export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
