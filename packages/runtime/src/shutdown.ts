import type { Logger } from "pino";

/**
 * Runs the given steps once, in order, on SIGTERM or SIGINT (or when called), then exits.
 * A second signal during shutdown exits at once.
 */
export function onShutdown(log: Logger, steps: () => Promise<void>, options: { exit?: boolean; timeoutMs?: number } = {}) {
  let running: Promise<void> | undefined;
  let firstSignalAt = 0;
  const run = (reason: string): Promise<void> => {
    if (running) return running;
    log.info({ reason }, "shutting down");
    const timer = setTimeout(() => {
      log.error({ timeoutMs: options.timeoutMs ?? 20_000 }, "shutdown timed out, exiting");
      process.exit(1);
    }, options.timeoutMs ?? 20_000);
    timer.unref();
    running = steps()
      .then(() => log.info("stopped cleanly"))
      .catch((err: unknown) => {
        log.error({ err }, "error during shutdown");
        process.exitCode = 1;
      })
      .finally(() => {
        clearTimeout(timer);
        if (options.exit !== false) process.exit();
      });
    return running;
  };
  const handler = (sig: NodeJS.Signals) => {
    if (running) {
      // the same Ctrl-C often arrives twice (terminal and supervisor); only a later one forces the exit
      if (Date.now() - firstSignalAt < 2000) return;
      log.warn({ signal: sig }, "second signal, exiting now");
      process.exit(1);
    }
    firstSignalAt = Date.now();
    void run(sig);
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return run;
}
