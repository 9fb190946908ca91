import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { type Command, HELP_OPTION, type Values, closest } from "./spec.ts";

export type Invocation = { help: true } | { help: false; values: Values; positionals: string[] };

type ParseOptions = NonNullable<ParseArgsConfig["options"]>;

/** The command's options in node:util parseArgs' terms (flags default to false unless they have a --no- form). */
export function parseArgsOptions(c: Command): ParseOptions {
  const options: ParseOptions = {};
  for (const o of [...c.options, HELP_OPTION]) {
    options[o.name] =
      o.value !== undefined
        ? { type: "string", ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) }
        : {
            type: "boolean",
            ...(o.short ? { short: o.short } : {}),
            ...(o.negatable ? {} : { default: false }),
          };
  }
  return options;
}

/**
 * Parses a command's arguments from its table entry: options (unknown ones, a flag given a value or a value missing are
 * usage errors), then `--help`, then the number of positional arguments and the subcommand's name.
 */
export function parseInvocation(c: Command, args: string[]): Invocation {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: parseArgsOptions(c),
      allowPositionals: true,
      // --no-flip and the like; as before, a command with one such flag accepts --no- for all of its flags
      allowNegative: c.options.some((o) => o.negatable === true),
      strict: true,
    });
  } catch (err) {
    throw parseError(c, err);
  }
  const { values, positionals } = parsed;
  if (values.help === true || (c.bareShowsHelp === true && positionals.length === 0)) return { help: true };
  checkArity(c, positionals);
  checkSubcommand(c, positionals[0]);
  delete values.help;
  return { help: false, values: values as Values, positionals };
}

/** node:util's parse errors as usage errors; an unknown option names the closest valid one. */
function parseError(c: Command, err: unknown): unknown {
  if (!(err instanceof TypeError) || !("code" in err) || !String(err.code).startsWith("ERR_PARSE_ARGS")) return err;
  const unknown = err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /Unknown option '([^']+)'/.exec(err.message)?.[1] : undefined;
  if (unknown === undefined) return new UsageError(err.message, { cause: err });
  return new UsageError(`unknown option ${unknown}${didYouMean(unknown, c)}; 'persona ${c.name} --help' lists the options`, {
    cause: err,
  });
}

function didYouMean(raw: string, c: Command): string {
  const options = [...c.options, HELP_OPTION];
  const name = raw.replace(/^--?/, "").replace(/=.*$/, "");
  const names = options.flatMap((o) => (o.negatable ? [o.name, `no-${o.name}`] : [o.name]));
  const near = closest(name, names);
  if (near !== undefined) return ` (did you mean --${near}?)`;
  const negated = name.startsWith("no-") ? options.find((o) => o.name === name.slice(3)) : undefined;
  if (negated !== undefined && negated.value === undefined) return ` (--${negated.name} has no --no- form)`;
  return "";
}

/** `usage: persona import DIR [options]`, for a wrong number of arguments. */
export function shortUsage(c: Command): string {
  const what = c.subcommands ? c.subcommands.map((s) => s.name).join("|") : (c.args ?? "");
  return `usage: persona ${[c.name, what].filter(Boolean).join(" ")} [options] ('persona ${c.name} --help' for more)`;
}

function checkArity(c: Command, positionals: string[]): void {
  if (c.arity === undefined) return;
  const { min, max } = c.arity;
  if (positionals.length < min || (max !== undefined && positionals.length > max)) throw new UsageError(shortUsage(c));
}

/** An unknown subcommand fails here, naming the closest; a missing one is left to the command (its own message). */
function checkSubcommand(c: Command, sub: string | undefined): void {
  if (c.subcommands === undefined || sub === undefined) return;
  const names = c.subcommands.map((s) => s.name);
  if (names.includes(sub)) return;
  const near = closest(sub, names);
  const hint = near === undefined ? "" : ` (did you mean ${JSON.stringify(near)}?)`;
  throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}${hint}; the subcommands are ${names.join(", ")}`);
}
