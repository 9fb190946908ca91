import type { Bus } from "@persona/bus";
import { LibraryWriter, type PersonState, type TemplateState } from "@persona/library";
import { replayLibrary } from "../client/libraryReplay.ts";
import { CliError, UsageError } from "../errors.ts";
import { findPerson } from "../library/people.ts";
import type { Output } from "../output.ts";

export interface RevertArgs {
  who: string;
  template?: string;
  since?: string;
  reason?: string;
  yes?: boolean;
  json: boolean;
}

/** The templates a revert takes out: one by id, or the self-learned ones added at or after `since`. Pure. */
export function templatesToRevert(person: PersonState, a: { template?: string; since?: string }): TemplateState[] {
  if ((a.template === undefined) === (a.since === undefined))
    throw new UsageError("persona people revert: give exactly one of --template ID or --since ISO_TIME");
  if (a.template !== undefined) {
    const t = person.templates.get(a.template);
    if (!t) throw new CliError(`${person.name} (${person.personId}) has no template ${a.template}`);
    return [t];
  }
  const since = Date.parse(a.since as string);
  if (!Number.isFinite(since)) throw new UsageError(`--since must be an ISO time, got ${JSON.stringify(a.since)}`);
  return [...person.templates.values()]
    .filter((t) => t.origin.kind === "self-learning" && Date.parse(t.addedAt) >= since)
    .sort((x, y) => x.addedAt.localeCompare(y.addedAt));
}

export async function revertTemplates(bus: Bus, a: RevertArgs, out: Output): Promise<number> {
  const { state } = await replayLibrary(bus);
  const person = findPerson(state, a.who);
  const list = templatesToRevert(person, a);
  const reason = a.reason ?? "reverted with the persona CLI";
  const report = (reverted: boolean) => ({
    version: 1,
    personId: person.personId,
    name: person.name,
    reverted,
    templates: list.map((t) => ({ templateId: t.templateId, addedAt: t.addedAt, origin: t.origin.kind })),
  });
  if (list.length === 0) {
    if (a.json) out.stdout(`${JSON.stringify(report(false), null, 2)}\n`);
    else out.stdout(`${person.name} (${person.personId}) has no self-learned template added since ${a.since}\n`);
    return 0;
  }
  if (a.since !== undefined && a.yes !== true) {
    const ok = await out.confirm(`Revert ${list.length} self-learned template(s) of ${person.name} added since ${a.since}?`);
    if (!ok) {
      if (a.json) out.stdout(`${JSON.stringify(report(false), null, 2)}\n`);
      else out.stdout("nothing reverted\n");
      return 1;
    }
  }
  const writer = new LibraryWriter({ bus });
  for (const t of list) {
    const written = await writer.execute({
      kind: "revert-template",
      personId: person.personId,
      templateId: t.templateId,
      by: "cli",
      reason,
    });
    if ("rejected" in written) throw new CliError(written.rejected.message);
  }
  if (a.json) out.stdout(`${JSON.stringify(report(true), null, 2)}\n`);
  else {
    for (const t of list) out.stdout(`reverted ${t.templateId}  ${t.addedAt}  ${t.origin.kind}\n`);
    out.stdout(`${person.name} (${person.personId}): ${list.length} template(s) reverted\n`);
  }
  return 0;
}
