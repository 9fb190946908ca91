/** An error the CLI reports as one line on stderr, exiting with `exitCode` (1 by default). */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad arguments: exit code 2. */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
  }
}

/** No NATS server answered at the URL the CLI uses. */
export class NatsUnavailableError extends CliError {
  override name = "NatsUnavailableError";
}
