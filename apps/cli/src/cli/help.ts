import { type Command, HELP_OPTION, type OptionSpec, type SubcommandSpec, fullName } from "./spec.ts";

/** Help lines are wrapped to this many characters. */
export const WIDTH = 118;
/** The left column of a two-column list (commands, options) is at most this wide; a longer entry gets its own line. */
const MAX_LEFT = 36;

/**
 * `text` (its whitespace collapsed, or the given words) wrapped to `width`, the first line indented by `first`, the
 * others by `rest`.
 */
export function wrap(text: string | readonly string[], rest: string, first = rest, width = WIDTH): string[] {
  const words = typeof text === "string" ? text.trim().split(/\s+/) : text;
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Two columns: each left entry, and its text wrapped beside it (or under it, when the entry is too long). */
function columns(rows: readonly (readonly [string, string])[], indent = "  "): string[] {
  const fitting = rows.map(([left]) => left.length).filter((n) => n <= MAX_LEFT);
  const pad = indent + " ".repeat(Math.max(0, ...fitting) + 2);
  return rows.flatMap(([left, text]) => {
    const head = indent + left;
    if (head.length + 2 > pad.length) return [head, ...wrap(text, pad)];
    return wrap(text, pad, head.padEnd(pad.length));
  });
}

/** `--timeout SECONDS`, `-y, --yes`, `--[no-]flip`: an option as the Options section names it. */
export function optionLabel(o: OptionSpec): string {
  const long = o.negatable ? `--[no-]${o.name}` : `--${o.name}`;
  return `${o.short ? `-${o.short}, ` : ""}${long}${o.value !== undefined ? ` ${o.value}` : ""}`;
}

function optionUsage(o: OptionSpec): string {
  return `[${o.negatable ? `--[no-]${o.name}` : `--${o.name}`}${o.value !== undefined ? ` ${o.value}` : ""}]`;
}

function optionNamed(c: Command, name: string): OptionSpec {
  const o = c.options.find((x) => x.name === name);
  if (o === undefined) throw new Error(`persona ${c.name}: the table names an option --${name} it does not have`);
  return o;
}

/** One usage line per subcommand (with the options it uses), or one for the command (with all of its options). */
export function usageLines(c: Command): string[] {
  const line = (name: string, args: string | undefined, options: readonly OptionSpec[]) =>
    wrap(
      ["persona", ...name.split(" "), ...(args ?? "").split(" "), ...options.map(optionUsage)].filter(Boolean),
      "      ",
      "  ",
    );
  if (c.subcommands === undefined) return line(c.name, c.args, c.options);
  return c.subcommands.flatMap((s) =>
    line(
      fullName(c, s),
      s.args,
      (s.options ?? []).map((n) => optionNamed(c, n)),
    ),
  );
}

/** What `persona help` lists, one row per command or subcommand: `people show ID|NAME` and its summary. */
export function commandRows(commands: readonly Command[]): { usage: string; summary: string }[] {
  const row = (name: string, args: string | undefined, summary: string) => ({
    usage: [name, args].filter(Boolean).join(" "),
    summary,
  });
  return [
    ...commands.flatMap((c) =>
      c.subcommands === undefined
        ? [row(c.name, c.args, c.summary)]
        : c.subcommands.map((s) => row(fullName(c, s), s.args, s.summary)),
    ),
    row("help", "[COMMAND]", "this list, or a command's help ('persona' alone prints the list and exits 2)"),
  ];
}

/** `persona help`: every command and subcommand with its summary. */
export function overview(commands: readonly Command[]): string {
  const rows = commandRows(commands).map((r) => [r.usage, r.summary] as const);
  return [
    "persona: the Persona-ID command line",
    "Usage: persona <command> [options]",
    ["Commands:", ...columns(rows)].join("\n"),
    "Run 'persona <command> --help' (or 'persona help <command>') for a command's options.",
  ]
    .join("\n\n")
    .concat("\n");
}

function subcommandSection(subs: readonly SubcommandSpec[]): string {
  const rows = subs.map((s) => [s.name, s.details ? `${s.summary}: ${s.details}` : s.summary] as const);
  return ["Subcommands:", ...columns(rows)].join("\n");
}

function optionSection(c: Command): string {
  const rows = [...c.options, HELP_OPTION].map(
    (o) => [optionLabel(o), o.default !== undefined ? `${o.help} (default ${o.default})` : o.help] as const,
  );
  return ["Options:", ...columns(rows)].join("\n");
}

const paragraphs = (texts: readonly string[] | undefined): string[] => (texts ?? []).map((t) => wrap(t, "  ").join("\n"));

/** `persona <command> --help`: summary, usage, subcommands, description, options and notes, all from the table. */
export function commandHelp(c: Command): string {
  return [
    wrap(`persona ${c.name}: ${c.summary}`, "  ", "").join("\n"),
    ["Usage:", ...usageLines(c)].join("\n"),
    ...(c.subcommands ? [subcommandSection(c.subcommands)] : []),
    ...paragraphs(c.description),
    optionSection(c),
    ...paragraphs(c.notes),
  ]
    .join("\n\n")
    .concat("\n");
}
