/** Something a test starts and must release: `[Symbol.asyncDispose]()`, else `dispose()`, else `stop()`, else `close()`. */
export type Releasable = AsyncDisposable | { dispose(): unknown } | { stop(): unknown } | { close(): unknown };

function release(r: Releasable): unknown {
  if (Symbol.asyncDispose in r) return r[Symbol.asyncDispose]();
  if ("dispose" in r) return r.dispose();
  if ("stop" in r) return r.stop();
  return r.close();
}

/**
 * What a suite's `before` starts, released by its `after` last started first, as `await using` does in one scope
 * (a describe block's hooks cannot share an `await using`):
 *
 * ```ts
 * const started = new Teardown();
 * before(async () => {
 *   server = started.use(await startNatsServer());
 *   bus = started.use(await testBus(server.url, "bot"));
 * });
 * after(() => started.run());
 * ```
 *
 * What `before` did not get to start is not released; a release that throws does not keep the others from running
 * (the first error is thrown once all have run).
 */
export class Teardown {
  readonly #steps: (() => unknown)[] = [];

  /** `resource`, released by `run()` (see `Releasable` for how). */
  use<T extends Releasable>(resource: T): T {
    this.#steps.push(() => release(resource));
    return resource;
  }

  /** Runs `step` at `run()`, in the same last-first order as the resources (`t.after`'s shape: `tempDir(teardown, prefix)`). */
  after(step: () => unknown): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
