import { createLogger } from "@persona/runtime";
import { configSchema, openCollections, policyFromConfig, runRetention } from "@persona/service-cleaner";
import { connectCli, ensureTopology, openCliStore } from "../client/connect.ts";
import { UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";

export interface RetentionArgs {
  sub: string | undefined;
  json: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function retentionCommand(args: RetentionArgs, out: Output = stdio()): Promise<number> {
  if (args.sub !== "run") throw new UsageError("usage: persona retention run [--json]");
  const env = args.env ?? process.env;
  const settings = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => /^(RETENTION_|CLEANER_ORPHAN_GRACE_HOURS$)/.test(k) && v !== undefined && v !== ""),
  );
  const parsed = configSchema.safeParse(settings);
  if (!parsed.success)
    throw new UsageError(
      `invalid retention settings: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const bus = await connectCli({ env });
  const store = await openCliStore(env).catch(async (err) => {
    await bus.close();
    throw err;
  });
  try {
    await ensureTopology(bus);
    const result = await runRetention({
      bus,
      collections: await openCollections(store),
      policy: policyFromConfig(parsed.data),
      now: Date.now,
      log: createLogger("cli", "silent"),
    });
    const d = result.event.data;
    if (args.json) {
      out.stdout(`${JSON.stringify({ version: 1, ...d, eventId: result.event.id }, null, 2)}\n`);
    } else {
      const parts = Object.entries(d.removed).map(([k, n]) => `${n} ${k}`);
      out.stdout(`retention run: ${parts.length === 0 ? "nothing had expired" : `removed ${parts.join(", ")}`}\n`);
    }
    return 0;
  } finally {
    await bus.close();
    await store.close();
  }
}
