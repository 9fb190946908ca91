import { createLogger } from "@persona/runtime";
import { HOST_TIME_ZONE, RebuildError, rebuildProjections } from "@persona/service-portal/projections";
import { cliStoreUrl, connectCli, ensureTopology, openCliStore } from "../client/connect.ts";
import { CliError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";
import { redactStoreUrl } from "@persona/store";

export interface ProjectionsArgs {
  sub: string | undefined;
  json: boolean;
  settleMs?: number;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function projectionsCommand(args: ProjectionsArgs, out: Output = stdio()): Promise<number> {
  if (args.sub !== "rebuild") {
    throw new UsageError(
      args.sub === undefined
        ? "persona projections: say rebuild"
        : `persona projections: unknown subcommand ${JSON.stringify(args.sub)}`,
    );
  }
  const env = args.env ?? process.env;
  const timeZone = env.ATTENDANCE_TIME_ZONE?.trim() || HOST_TIME_ZONE;
  const bus = await connectCli({ env });
  try {
    await ensureTopology(bus);
    const store = await openCliStore(env);
    try {
      if (!args.json) out.stderr(`rebuilding the projections in ${redactStoreUrl(cliStoreUrl(env))} (time zone ${timeZone})\n`);
      let lastLine = "";
      const report = await rebuildProjections({
        bus,
        store,
        log: createLogger("cli", "silent"),
        timeZone,
        settleMs: args.settleMs,
        timeoutMs: args.timeoutMs,
        onProgress: (p) => {
          const line = `${p.stream}: ${p.ackedSeq}/${p.lastSeq}`;
          if (out.stderrIsTTY && line !== lastLine) out.stderr(`\r\x1b[Kreplaying ${line}`);
          lastLine = line;
        },
      });
      if (out.stderrIsTTY) out.stderr("\r\x1b[K");
      if (args.json) {
        out.stdout(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        for (const s of report.streams) out.stdout(`${s.stream}: ${s.messages} event(s) replayed through ${s.consumer}\n`);
        for (const p of report.projections) {
          const docs = Object.entries(p.documents)
            .map(([c, n]) => `${c} ${n}`)
            .join(", ");
          out.stdout(`${p.name.padEnd(11)} checkpoint ${p.checkpoint}: ${docs}\n`);
        }
        out.stdout(`rebuilt in ${(report.durationMs / 1000).toFixed(1)} s\n`);
      }
      return 0;
    } catch (err) {
      if (err instanceof RebuildError) throw new CliError(err.message, 1, { cause: err });
      throw err;
    } finally {
      await store.close();
    }
  } finally {
    await bus.close();
  }
}
