/**
 * The shape of the command table (`commands.ts`): every command's name, subcommands, one-line summary, options and run
 * function. The parser (`parse.ts`) and the help (`help.ts`) are generated from it, so neither can drift from the other.
 */

/** One `--option`: a flag, or an option that takes a value. */
export interface OptionSpec {
  /** Without the dashes: `dry-run`. */
  readonly name: string;
  /** The value's placeholder in the help (`--timeout SECONDS`); absent, the option is a flag. */
  readonly value?: string;
  /** A one-letter alias (`-y`). */
  readonly short?: string;
  /** One line (or a few) for the Options section of the command's help. */
  readonly help: string;
  /** For a value: what the parser uses when the option is not given, shown as "(default ...)" in the help. */
  readonly default?: string;
  /** A flag with a `--no-NAME` form: undefined when neither is given (the command picks its own default). */
  readonly negatable?: boolean;
}

export interface SubcommandSpec {
  readonly name: string;
  /** What follows the subcommand's name: positional arguments and required options (`ID|NAME FILE...`). */
  readonly args?: string;
  /** One line, for `persona help` and the README's command list. */
  readonly summary: string;
  /** More about it, in the command's help only. */
  readonly details?: string;
  /** The command's options that matter to this subcommand, shown on its usage line. */
  readonly options?: readonly string[];
}

/** Parsed option values by option name: a string (or undefined) for a value, a boolean for a flag. */
export type Values = Readonly<Record<string, string | boolean | undefined>>;

type ValueOf<O extends OptionSpec> = O extends { readonly value: string }
  ? O extends { readonly default: string }
    ? string
    : string | undefined
  : O extends { readonly negatable: true }
    ? boolean | undefined
    : boolean;

/** The values of a command's options, typed from its table entry: a misspelt option name does not compile. */
export type ValuesOf<O extends readonly OptionSpec[]> = { readonly [K in O[number] as K["name"]]: ValueOf<K> };

interface CommandFields {
  readonly name: string;
  /** What follows the command's name when it has no subcommands (`DIR`, `IMAGE...`). */
  readonly args?: string;
  /** One line: `persona help` (for a command without subcommands) and the top of the command's help. */
  readonly summary: string;
  readonly subcommands?: readonly SubcommandSpec[];
  /** How many positional arguments (the subcommand included) the command takes; unchecked when absent. */
  readonly arity?: { readonly min: number; readonly max?: number };
  /** `persona eval` alone prints its help (exit 0) rather than failing. */
  readonly bareShowsHelp?: boolean;
  /** Paragraphs of the command's help, between the usage (and subcommands) and the options. */
  readonly description?: readonly string[];
  /** Paragraphs after the options: exit codes, environment. */
  readonly notes?: readonly string[];
}

/** A command as the parser and the help see it. */
export interface Command extends CommandFields {
  readonly options: readonly OptionSpec[];
  run(values: Values, positionals: string[]): Promise<number>;
}

/** A command as written in the table: `run` gets its own options' values, typed. */
export interface CommandSpec<O extends readonly OptionSpec[]> extends CommandFields {
  readonly options: O;
  run(values: ValuesOf<O>, positionals: string[]): Promise<number>;
}

/** Every command takes `--help`; it is not in the table. */
export const HELP_OPTION: OptionSpec = { name: "help", help: "print this help" };

export function defineCommand<const O extends readonly OptionSpec[]>(spec: CommandSpec<O>): Command {
  return spec;
}

/** How a command with subcommands is named in the help: `people list`. */
export const fullName = (c: Command, sub?: SubcommandSpec): string => (sub ? `${c.name} ${sub.name}` : c.name);

/** The closest of `candidates` to a misspelt `word` (a few edits away, or a prefix of it), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(word) && word.length >= 2 ? 1 : editDistance(word, candidate);
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && best.distance <= limit ? best.candidate : undefined;
}

/** Levenshtein distance, a transposition counting as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = d;
    }
  }
  return at(a.length, b.length);
}
