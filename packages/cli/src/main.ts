import { parseArgs } from "node:util";
import { runCommand, runHelp } from "./commands/run.ts";
import { statusCommand, statusHelp } from "./commands/status.ts";

const HELP = `persona: the Persona-ID command line

Usage: persona <command> [options]

Commands:
${[runHelp, statusHelp].map((h) => `  ${h.replace(/\n/g, "\n  ")}`).join("\n\n")}

Run 'persona <command> --help' for a command's options.
`;

/** Runs one command; returns the process exit code. Usage errors exit 2. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run": {
        const { values } = parseArgs({ args: rest, options: { services: { type: "string" }, help: { type: "boolean" } } });
        if (values.help) return help(runHelp);
        return await runCommand({ services: values.services });
      }
      case "status": {
        const { values } = parseArgs({
          args: rest,
          options: { json: { type: "boolean", default: false }, help: { type: "boolean" } },
        });
        if (values.help) return help(statusHelp);
        return await statusCommand({ json: values.json === true });
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`persona: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`persona ${command}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function help(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}
