import { AnyEnvelopeSchema, type EnvelopeOf, Token } from "@persona/contracts";
import { connectCli, ensureTopology } from "../client/connect.ts";
import { replayLibrary } from "../client/libraryReplay.ts";
import { CliError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";

export interface EraseArgs {
  personId: string;
  yes: boolean;
  json: boolean;
  reason?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function eraseCommand(args: EraseArgs, out: Output = stdio()): Promise<number> {
  const id = Token.safeParse(args.personId);
  if (!id.success) throw new UsageError(`not a person id: ${JSON.stringify(args.personId)} (letters, digits, '_' and '-')`);
  const personId = id.data;
  const bus = await connectCli({ env: args.env });
  try {
    await ensureTopology(bus);
    const { state } = await replayLibrary(bus);
    const person = state.people.get(personId);
    if (!args.yes) {
      const what =
        person === undefined
          ? `${personId} is not in the library; erase whatever is left of them (sightings, crops, alerts)?`
          : `Erase ${person.name} (${personId}) and everything about them, for good?`;
      if (!(await out.confirm(what))) {
        if (args.json) out.stdout(`${JSON.stringify({ version: 1, personId, erased: false, reason: "declined" }, null, 2)}\n`);
        else out.stdout("not erased\n");
        return 1;
      }
    }
    // the audit record is awaited on its subject; subscribed before asking, so it cannot be missed
    const sub = bus.nc.subscribe(`system.erasure.${personId}`);
    const command = bus.envelope("RemovePerson", {
      personId,
      reason: args.reason ?? "erasure requested with the persona CLI",
      requestedBy: "cli",
      erase: true,
    });
    const timeoutMs = args.timeoutMs ?? 120_000;
    const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
    let audit: EnvelopeOf<"PersonErased"> | null = null;
    try {
      await bus.publish(command);
      for await (const m of sub) {
        const parsed = AnyEnvelopeSchema.safeParse(safeJson(m.data));
        if (parsed.success && parsed.data.type === "PersonErased" && parsed.data.causationId === command.id) {
          audit = parsed.data;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
    if (audit === null) {
      throw new CliError(
        `the erasure of ${personId} was requested (command ${command.id}) but no cleaner confirmed it within ${timeoutMs / 1000} s: ` +
          "is the cleaner service running? (persona status)",
      );
    }
    const removed = audit.data.removed;
    if (args.json) {
      out.stdout(
        `${JSON.stringify({ version: 1, personId, erased: true, wasInLibrary: person !== undefined, auditId: audit.id, at: audit.occurredAt, removed }, null, 2)}\n`,
      );
    } else {
      const parts = Object.entries(removed).map(([k, n]) => `${n} ${k}`);
      out.stdout(`erased ${personId}: ${parts.length === 0 ? "nothing was left" : parts.join(", ")}\n`);
    }
    return 0;
  } finally {
    await bus.close();
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
}
