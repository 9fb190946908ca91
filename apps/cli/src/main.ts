import { EnrollmentTimeoutError } from "@persona/library";
import { COMMANDS, findCommand } from "./cli/commands.ts";
import { commandHelp, overview } from "./cli/help.ts";
import { parseInvocation } from "./cli/parse.ts";
import { closest } from "./cli/spec.ts";
import { CliError } from "./errors.ts";

/**
 * Runs one command from the command table (`cli/commands.ts`); returns the process exit code. `persona` alone prints
 * the list of commands and exits 2; `persona help` (`--help`, `-h`) prints it and exits 0, `persona help <command>` a
 * command's help. Usage errors (unknown commands and options included) exit 2.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stdout.write(overview(COMMANDS));
    return 2;
  }
  if (name === "help" || name === "--help" || name === "-h") return help(rest[0]);
  const command = findCommand(name);
  if (command === undefined) return unknownCommand(name);
  try {
    const invocation = parseInvocation(command, rest);
    if (invocation.help) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(invocation.values, invocation.positionals);
  } catch (err) {
    return failed(name, err);
  }
}

/** `persona help [COMMAND]`. */
function help(topic: string | undefined): number {
  if (topic === undefined) {
    process.stdout.write(overview(COMMANDS));
    return 0;
  }
  const command = findCommand(topic);
  if (command === undefined) return unknownCommand(topic);
  process.stdout.write(commandHelp(command));
  return 0;
}

function unknownCommand(name: string): number {
  const near = closest(
    name,
    COMMANDS.map((c) => c.name),
  );
  const hint = near === undefined ? "" : ` (did you mean ${JSON.stringify(near)}?)`;
  process.stderr.write(`persona: unknown command ${JSON.stringify(name)}${hint}\n\n${overview(COMMANDS)}`);
  return 2;
}

/** A command's failure as one line on stderr and its exit code; anything else is a bug and is thrown. */
function failed(command: string, err: unknown): number {
  // a message that already says which command it is from ("persona people: say list, ...") is not prefixed again
  const say = (message: string) =>
    process.stderr.write(`${message.startsWith(`persona ${command}`) ? message : `persona ${command}: ${message}`}\n`);
  if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
    say(err.message);
    return 2;
  }
  if (err instanceof CliError || err instanceof EnrollmentTimeoutError) {
    say(err.message);
    return err.exitCode;
  }
  throw err;
}
