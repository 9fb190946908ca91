import { setTimeout as sleep } from "node:timers/promises";

/**
 * Waits until `probe` returns a truthy value, checking every `intervalMs`, failing after `timeoutMs`
 * with the message and the last value seen. For conditions that have no event to await (another process's state).
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${options.timeoutMs ?? 10_000} ms: ${typeof options.message === "function" ? options.message() : (options.message ?? "condition")} (last: ${JSON.stringify(last)})`,
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}
