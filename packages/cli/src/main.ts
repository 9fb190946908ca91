import { parseArgs } from "node:util";
import { importCommand, importHelp } from "./commands/import.ts";
import { peopleCommand, peopleHelp } from "./commands/people.ts";
import { watchCommand, watchHelp } from "./commands/watch.ts";
import { identifyCommand, identifyHelp } from "./commands/identify.ts";
import { evalCommand, evalHelp } from "./commands/evaluate.ts";
import { projectionsCommand, projectionsHelp } from "./commands/projections.ts";
import { runCommand, runHelp } from "./commands/run.ts";
import { statusCommand, statusHelp } from "./commands/status.ts";
import { eraseCommand, eraseHelp } from "./commands/erase.ts";
import { retentionCommand, retentionHelp } from "./commands/retention.ts";
import { usersCommand, usersHelp } from "./commands/users.ts";
import { CliError, UsageError } from "./errors.ts";
import { EnrollmentTimeoutError } from "@persona/library";

const HELP = `persona: the Persona-ID command line

Usage: persona <command> [options]

Commands:
${[runHelp, statusHelp, importHelp, peopleHelp, eraseHelp, retentionHelp, identifyHelp, watchHelp, evalHelp, projectionsHelp, usersHelp].map((h) => `  ${h.replace(/\n/g, "\n  ")}`).join("\n\n")}

Run 'persona <command> --help' for a command's options.
`;

/** A positive number of seconds given as an option, in ms. */
function seconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number of seconds, got ${JSON.stringify(value)}`);
  return Math.round(n * 1000);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

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
      case "import": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            json: { type: "boolean", default: false },
            "dry-run": { type: "boolean", default: false },
            "retry-rejected": { type: "boolean", default: false },
            "allow-duplicate": { type: "boolean", default: false },
            timeout: { type: "string" },
            concurrency: { type: "string" },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(importHelp);
        if (positionals.length !== 1) throw new UsageError("usage: persona import DIR [--json] [--dry-run]");
        const concurrency = positiveInt("concurrency", values.concurrency);
        if (concurrency === 0) throw new UsageError("--concurrency must be at least 1");
        return await importCommand({
          dir: positionals[0] as string,
          json: values.json === true,
          dryRun: values["dry-run"] === true,
          retryRejected: values["retry-rejected"] === true,
          allowDuplicate: values["allow-duplicate"] === true,
          timeoutMs: seconds("timeout", values.timeout),
          concurrency,
        });
      }
      case "eval": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          // --no-flip, --no-landmarks
          allowNegative: true,
          options: {
            data: { type: "string" },
            gallery: { type: "string" },
            probes: { type: "string" },
            impostors: { type: "string" },
            out: { type: "string" },
            model: { type: "string" },
            flip: { type: "boolean" },
            ensemble: { type: "boolean", default: false },
            landmarks: { type: "boolean" },
            enhance: { type: "boolean", default: false },
            json: { type: "boolean", default: false },
            "max-people": { type: "string" },
            limit: { type: "string" },
            seed: { type: "string" },
            shots: { type: "string" },
            "impostor-people": { type: "string" },
            "no-fast-path": { type: "boolean", default: false },
            help: { type: "boolean" },
          },
        });
        if (values.help || positionals.length === 0) return help(evalHelp);
        const [sub, ...more] = positionals;
        return await evalCommand({
          sub: sub as string,
          positionals: more,
          ...(values.data ? { data: values.data } : {}),
          ...(values.gallery ? { gallery: values.gallery } : {}),
          ...(values.probes ? { probes: values.probes } : {}),
          ...(values.impostors ? { impostors: values.impostors } : {}),
          ...(values.out ? { out: values.out } : {}),
          ...(values.model ? { model: values.model } : {}),
          ...(values.flip !== undefined ? { flip: values.flip } : {}),
          ensemble: values.ensemble === true,
          ...(values.landmarks !== undefined ? { landmarks: values.landmarks } : {}),
          enhance: values.enhance === true,
          json: values.json === true,
          maxPeople: positiveInt("max-people", values["max-people"]),
          limit: positiveInt("limit", values.limit),
          seed: positiveInt("seed", values.seed),
          shots: positiveInt("shots", values.shots),
          impostorPeople: positiveInt("impostor-people", values["impostor-people"]),
          fastPath: values["no-fast-path"] !== true,
        });
      }
      case "identify": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            json: { type: "boolean", default: false },
            offline: { type: "boolean", default: false },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(identifyHelp);
        return await identifyCommand({ images: positionals, json: values.json === true, offline: values.offline === true });
      }
      case "watch": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            once: { type: "boolean", default: false },
            json: { type: "boolean", default: false },
            realtime: { type: "boolean", default: false },
            standalone: { type: "boolean", default: false },
            "camera-id": { type: "string" },
            enroll: { type: "string" },
            timeout: { type: "string" },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(watchHelp);
        if (positionals.length !== 1) throw new UsageError("usage: persona watch SOURCE [--once] [--json]");
        return await watchCommand({
          source: positionals[0] as string,
          once: values.once === true,
          json: values.json === true,
          realtime: values.realtime === true,
          standalone: values.standalone === true,
          ...(values["camera-id"] ? { cameraId: values["camera-id"] } : {}),
          ...(values.enroll ? { enroll: values.enroll } : {}),
          timeoutMs: seconds("timeout", values.timeout),
        });
      }
      case "people": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            json: { type: "boolean", default: false },
            reason: { type: "string" },
            yes: { type: "boolean", short: "y", default: false },
            timeout: { type: "string" },
            template: { type: "string" },
            since: { type: "string" },
            model: { type: "string" },
            "dry-run": { type: "boolean", default: false },
            "allow-duplicate": { type: "boolean", default: false },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(peopleHelp);
        const [sub, ...args] = positionals;
        return await peopleCommand({
          sub,
          positionals: args,
          json: values.json === true,
          reason: values.reason,
          yes: values.yes === true,
          timeoutMs: seconds("timeout", values.timeout),
          ...(values.template ? { template: values.template } : {}),
          ...(values.since ? { since: values.since } : {}),
          ...(values.model ? { model: values.model } : {}),
          dryRun: values["dry-run"] === true,
          allowDuplicate: values["allow-duplicate"] === true,
        });
      }
      case "erase": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            json: { type: "boolean", default: false },
            yes: { type: "boolean", short: "y", default: false },
            reason: { type: "string" },
            timeout: { type: "string" },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(eraseHelp);
        if (positionals.length !== 1) throw new UsageError("usage: persona erase PERSON_ID [--yes] [--json]");
        return await eraseCommand({
          personId: positionals[0] as string,
          yes: values.yes === true,
          json: values.json === true,
          reason: values.reason,
          timeoutMs: seconds("timeout", values.timeout),
        });
      }
      case "retention": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { json: { type: "boolean", default: false }, help: { type: "boolean" } },
        });
        if (values.help) return help(retentionHelp);
        if (positionals.length !== 1) throw new UsageError("usage: persona retention run [--json]");
        return await retentionCommand({ sub: positionals[0], json: values.json === true });
      }
      case "projections": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            json: { type: "boolean", default: false },
            "settle-ms": { type: "string" },
            timeout: { type: "string" },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(projectionsHelp);
        if (positionals.length > 1) throw new UsageError("usage: persona projections rebuild [--json]");
        return await projectionsCommand({
          sub: positionals[0],
          json: values.json === true,
          settleMs: positiveInt("settle-ms", values["settle-ms"]),
          timeoutMs: seconds("timeout", values.timeout),
        });
      }
      case "users": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            role: { type: "string" },
            "password-file": { type: "string" },
            json: { type: "boolean", default: false },
            yes: { type: "boolean", short: "y", default: false },
            help: { type: "boolean" },
          },
        });
        if (values.help) return help(usersHelp);
        const [sub, ...args] = positionals;
        return await usersCommand({
          sub,
          positionals: args,
          role: values.role,
          passwordFile: values["password-file"],
          json: values.json === true,
          yes: values.yes === true,
        });
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
    if (err instanceof CliError || err instanceof EnrollmentTimeoutError) {
      process.stderr.write(`persona ${command}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

function help(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}
