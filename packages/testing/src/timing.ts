/** Timing for the benchmarks: calls of a function, each timed on its own, and quantiles of the times. */

/** `warmup` untimed calls of `f`, then `runs` timed ones: each call's milliseconds (`f` is awaited: it may be async). */
export async function timeRuns(warmup: number, runs: number, f: () => unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await f();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

/** `timeRuns` for a synchronous `f`: nothing is awaited between the two clock reads. */
export function timeRunsSync(warmup: number, runs: number, f: () => unknown): number[] {
  for (let i = 0; i < warmup; i++) f();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    out.push(performance.now() - t);
  }
  return out;
}

/** The `p` quantile of `xs` (0..1): the sorted value at floor(p × n), the largest for p = 1. */
export function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}
