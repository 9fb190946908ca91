/**
 * Timing for the benchmarks: calls of a function, each timed on its own, quantiles of the times, and the CPU time of
 * processes (Linux /proc).
 */
import { readFileSync, readdirSync } from "node:fs";

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

/** What /proc/<pid>/stat says of a process: its command, its parent and the CPU seconds (user + system) it used. */
export interface ProcStat {
  comm: string;
  ppid: number;
  cpuSeconds: number;
}

/** A process's /proc/<pid>/stat (Linux), or null when the process is gone. */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const close = stat.lastIndexOf(")");
  const f = stat.slice(close + 2).split(" ");
  // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  return {
    comm: stat.slice(stat.indexOf("(") + 1, close),
    ppid: Number(f[1]),
    cpuSeconds: (Number(f[11]) + Number(f[12])) / 100,
  };
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone or has no pid. */
export function cpuSeconds(pid: number | undefined): number {
  return pid === undefined ? 0 : (procStat(pid)?.cpuSeconds ?? 0);
}

/** Every process there is now, by pid, with its /proc/<pid>/stat. */
export function processes(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(Number(d));
    if (s) out.set(Number(d), s);
  }
  return out;
}
