import type { Bus } from "@persona/bus";
import type { PersonState } from "@persona/library";
import { uploadFile } from "../client/blobs.ts";
import { connectCli, ensureTopology } from "../client/connect.ts";
import { EnrollmentTimeoutError, EnrollmentWatcher } from "@persona/library";
import { replayLibrary } from "../client/libraryReplay.ts";
import { CliError, UsageError } from "../errors.ts";
import { DEFAULT_MAX_PHOTO_BYTES, type LocalFile, inspectPhoto } from "../library/folder.ts";
import { clip, findPerson, pad, personDetail, personRow, sortPeople } from "../library/people.ts";
import { type PhotoReport, photoOf } from "../library/report.ts";
import { type Output, stdio } from "../output.ts";
import { revertHelp, revertTemplates } from "./revert.ts";

export const peopleHelp = `persona people list|show|remove|add-photo|revert [--json]
  The people library, as the LIBRARY stream says it is now (NATS_URL, default the local 'persona run' NATS).
  people list [--json]                          everyone: id, name, description, templates, watchlist
  people show ID|NAME [--json]                  one person: photos, sound, templates with origin and time
  people remove ID|NAME [--reason R] [--yes]    publishes PersonRemoved (asks first unless --yes)
  people add-photo ID|NAME FILE... [--timeout SECONDS]
                                                enrolls more photos; reports each photo's outcome
${revertHelp}
  A NAME matches exactly, then ignoring case; several people with that name is an error listing their ids.
  Exit code 0 on success, 1 on failure (unknown person, rejected photo, no answer), 2 on usage errors.`;

export interface PeopleArgs {
  sub: string | undefined;
  positionals: string[];
  json: boolean;
  reason?: string;
  yes?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** revert: one template id, or every self-learned template added since this ISO time */
  template?: string;
  since?: string;
}

export async function peopleCommand(args: PeopleArgs, out: Output = stdio()): Promise<number> {
  switch (args.sub) {
    case "list":
      if (args.positionals.length > 0) throw new UsageError("people list takes no arguments");
      return withBus(args, false, (bus) => list(bus, args, out));
    case "show":
      return withBus(args, false, (bus) => show(bus, one(args, "show"), args, out));
    case "remove":
      return withBus(args, true, (bus) => remove(bus, one(args, "remove"), args, out));
    case "add-photo": {
      const [who, ...files] = args.positionals;
      if (who === undefined || files.length === 0) throw new UsageError("usage: persona people add-photo ID|NAME FILE...");
      return withBus(args, true, (bus) => addPhoto(bus, who, files, args, out));
    }
    case "revert":
      return withBus(args, true, (bus) =>
        revertTemplates(
          bus,
          {
            who: one(args, "revert"),
            json: args.json,
            ...(args.template !== undefined ? { template: args.template } : {}),
            ...(args.since !== undefined ? { since: args.since } : {}),
            ...(args.reason !== undefined ? { reason: args.reason } : {}),
            ...(args.yes !== undefined ? { yes: args.yes } : {}),
          },
          out,
        ),
      );
    default:
      throw new UsageError(
        args.sub === undefined
          ? "persona people: say list, show, remove, add-photo or revert"
          : `persona people: unknown subcommand ${JSON.stringify(args.sub)} (list, show, remove, add-photo, revert)`,
      );
  }
}

function one(args: PeopleArgs, sub: string): string {
  if (args.positionals.length !== 1) throw new UsageError(`usage: persona people ${sub} ID|NAME`);
  return args.positionals[0] as string;
}

async function withBus(args: PeopleArgs, writes: boolean, f: (bus: Bus) => Promise<number>): Promise<number> {
  const bus = await connectCli({ env: args.env });
  try {
    if (writes) await ensureTopology(bus);
    return await f(bus);
  } finally {
    await bus.close();
  }
}

async function list(bus: Bus, args: PeopleArgs, out: Output): Promise<number> {
  const { state } = await replayLibrary(bus);
  const rows = sortPeople([...state.people.values()]).map(personRow);
  if (args.json) {
    out.stdout(`${JSON.stringify({ version: 1, count: rows.length, people: rows }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    out.stdout("the library is empty (persona import DIR adds people)\n");
    return 0;
  }
  const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
  const nameWidth = Math.min(40, Math.max(4, ...rows.map((r) => [...r.name].length)));
  out.stdout(`${pad("ID", idWidth)}  ${pad("NAME", nameWidth)}  TEMPLATES  WATCHLIST  DESCRIPTION\n`);
  for (const r of rows) {
    out.stdout(
      `${pad(r.id, idWidth)}  ${pad(clip(r.name, nameWidth), nameWidth)}  ${pad(String(r.templates), 9)}  ` +
        `${pad(r.watchlist === null ? "-" : "yes", 9)}  ${clip(r.description, 60)}\n`,
    );
  }
  out.stdout(`${rows.length} ${rows.length === 1 ? "person" : "people"}\n`);
  return 0;
}

async function show(bus: Bus, who: string, args: PeopleArgs, out: Output): Promise<number> {
  const { state } = await replayLibrary(bus);
  const d = personDetail(findPerson(state, who));
  if (args.json) {
    out.stdout(`${JSON.stringify({ version: 1, person: d }, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `${d.name}`,
    `  id           ${d.id}`,
    `  description  ${d.description === "" ? "-" : d.description}`,
    `  watchlist    ${d.watchlist === null ? "no" : `yes: ${d.watchlist.reason}`}`,
    `  source       ${d.source}${d.importKey === null ? "" : ` (folder ${d.importKey})`}`,
    `  enrolled     ${d.enrolledAt}   updated ${d.updatedAt}`,
    `  sound        ${d.sound === null ? "-" : `${d.sound.bucket}/${d.sound.key}`}`,
    `  photos       ${d.photos.length}`,
    ...d.photos.map((p) => `    ${p.bucket}/${p.key}  ${p.contentType}  ${p.size} bytes`),
    `  templates    ${d.templates}`,
    ...d.templateList.map((t) => {
      const o = t.origin;
      const origin =
        o.kind === "enrollment"
          ? `enrollment photo ${o.photo}`
          : o.kind === "self-learning"
            ? `self-learning on ${o.cameraId} track ${o.trackId} (similarity ${o.similarity.toFixed(3)}, seen ${o.seenAt})`
            : `operator ${o.by}${o.sightingId === null ? "" : ` (sighting ${o.sightingId})`}`;
      return `    ${t.templateId}  ${t.addedAt}  quality ${t.quality.toFixed(2)}  ${origin}`;
    }),
  ];
  out.stdout(`${lines.join("\n")}\n`);
  return 0;
}

async function remove(bus: Bus, who: string, args: PeopleArgs, out: Output): Promise<number> {
  const { state } = await replayLibrary(bus);
  const person = findPerson(state, who);
  const reason = args.reason ?? "removed with the persona CLI";
  if (args.yes !== true) {
    const ok = await out.confirm(
      `Remove ${person.name} (${person.personId}, ${person.templates.size} template(s)) from the library?`,
    );
    if (!ok) {
      if (args.json) out.stdout(`${JSON.stringify(removal(person, reason, false, null), null, 2)}\n`);
      else out.stdout("not removed\n");
      return 1;
    }
  }
  const env = bus.envelope("PersonRemoved", { personId: person.personId, reason, by: "cli" });
  const ack = await bus.publish(env);
  if (args.json) out.stdout(`${JSON.stringify(removal(person, reason, true, { eventId: env.id, seq: ack.seq }), null, 2)}\n`);
  else out.stdout(`removed ${person.name} (${person.personId})\n`);
  return 0;
}

function removal(person: PersonState, reason: string, removed: boolean, event: { eventId: string; seq: number } | null) {
  return {
    version: 1,
    removed,
    personId: person.personId,
    name: person.name,
    reason,
    eventId: event?.eventId ?? null,
    seq: event?.seq ?? null,
  };
}

async function addPhoto(bus: Bus, who: string, paths: string[], args: PeopleArgs, out: Output): Promise<number> {
  const { state } = await replayLibrary(bus);
  const person = findPerson(state, who);
  const enrolled = new Set([...person.templates.values()].map((t) => t.photoSha256).filter((s) => s !== null));
  const reports: PhotoReport[] = [];
  const send: LocalFile[] = [];
  for (const path of paths) {
    const f = await inspectPhoto(path);
    if (f.kind === "error") reports.push(localReject(path, "unreadable", `cannot read ${path}: ${f.message}`));
    else if (f.kind === "not-media")
      reports.push(localReject(path, "not-an-image", `${path} is not an image (JPEG, PNG, WebP or BMP)`));
    else if (f.file.size > DEFAULT_MAX_PHOTO_BYTES) reports.push(localReject(path, "too-large", `${path} is larger than 20 MiB`));
    else if (enrolled.has(f.file.sha256)) reports.push(photoOf(f.file, "already-enrolled"));
    else if (send.some((s) => s.sha256 === f.file.sha256)) reports.push(photoOf(f.file, "already-enrolled"));
    else {
      send.push(f.file);
      reports.push(photoOf(f.file, "planned"));
    }
  }
  let failure: string | null = null;
  if (send.length > 0) {
    const watcher = await EnrollmentWatcher.start(bus);
    try {
      const photos = await Promise.all(send.map((f) => uploadFile(bus, "photos", person.personId, f)));
      const result = await watcher.enroll(
        {
          personId: person.personId,
          existing: true,
          name: person.name,
          description: person.description,
          photos,
          sound: person.sound,
          source: "cli",
          importKey: person.importKey,
          requestedBy: "cli",
        },
        { timeoutMs: args.timeoutMs ?? 60_000 },
      );
      for (const r of reports) {
        const o = result.photos.find((p) => p.photo.sha256 === r.sha256);
        if (o === undefined || r.outcome !== "planned") continue;
        if (o.outcome === "added") Object.assign(r, { outcome: "added", templateId: o.templateId });
        else Object.assign(r, { outcome: "rejected", reason: o.reason });
      }
    } catch (err) {
      if (!(err instanceof EnrollmentTimeoutError || err instanceof CliError)) throw err;
      failure = err.message;
      for (const r of reports)
        if (r.outcome === "planned") Object.assign(r, { outcome: "failed", reason: { code: "failed", message: err.message } });
    } finally {
      await watcher.close();
    }
  }
  const added = reports.filter((r) => r.outcome === "added").length;
  const bad = reports.filter((r) => r.outcome === "rejected" || r.outcome === "failed").length;
  if (args.json) {
    out.stdout(
      `${JSON.stringify({ version: 1, personId: person.personId, name: person.name, added, rejected: bad, photos: reports }, null, 2)}\n`,
    );
  } else {
    for (const r of reports)
      out.stdout(`${pad(r.outcome, 16)} ${r.file}${r.reason ? `: ${r.reason.code}: ${r.reason.message}` : ""}\n`);
    out.stdout(`${person.name} (${person.personId}): ${added} photo(s) added, ${bad} not\n`);
    if (failure !== null) out.stderr(`${failure}\n`);
  }
  return bad === 0 ? 0 : 1;
}

function localReject(path: string, code: string, message: string): PhotoReport {
  return { file: path, sha256: "", outcome: "rejected", templateId: null, reason: { code, message } };
}
