/** The command line of the benchmarks. */
import { parseArgs } from "node:util";

/** What `benchArgs` returns: a string per option with a string default, a boolean per flag, and `json`. */
export type BenchArgs<D extends Record<string, string | false>> = {
  [K in keyof D]: D[K] extends string ? string : boolean;
} & { json: boolean };

/**
 * A benchmark's options: `--name VALUE` for each entry of `defaults` with a string default, `--name` (a flag) for each
 * with `false`, and `--json` (one JSON object on stdout instead of the table). An unknown option is an error.
 */
export function benchArgs<const D extends Record<string, string | false>>(
  defaults: D,
  args: string[] = process.argv.slice(2),
): BenchArgs<D> {
  const options = Object.fromEntries(
    Object.entries({ ...defaults, json: false }).map(([name, d]) => [
      name,
      d === false ? { type: "boolean" as const, default: false } : { type: "string" as const, default: d },
    ]),
  );
  return parseArgs({ args, options, strict: true }).values as BenchArgs<D>;
}
