import type { Bus } from "@persona/bus";
import type { BlobRef } from "@persona/contracts";
import { LibraryWriter, type PersonState } from "@persona/library";
import { configSchema as recognizerConfig } from "@persona/service-recognizer";
import { DEFAULT_EMBEDDER_MODEL, EMBEDDER_MODELS, templateModelName } from "@persona/vision";
import { uploadFile } from "../client/blobs.ts";
import { connectCli, ensureTopology } from "../client/connect.ts";
import { type EnrollRequest, EnrollmentTimeoutError, EnrollmentWatcher } from "@persona/library";
import { replayLibrary } from "../client/libraryReplay.ts";
import { CliError, UsageError } from "../errors.ts";
import { DEFAULT_MAX_PHOTO_BYTES, type LocalFile, inspectPhoto } from "../library/folder.ts";
import { clip, findPerson, pad, personDetail, personRow, sortPeople } from "../library/people.ts";
import { type PhotoReport, photoOf } from "../library/report.ts";
import { type Output, stdio } from "../output.ts";
import { revertTemplates } from "./revert.ts";

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
  /** reembed: the template model to make (default from RECOGNIZER_MODEL / RECOGNIZER_FLIP) and plan only */
  model?: string;
  dryRun?: boolean;
  /** add-photo: enroll photos that are another person's too */
  allowDuplicate?: boolean;
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
    case "reembed": {
      const model = reembedModel(args);
      return withBus(args, args.dryRun !== true, (bus) => reembed(bus, model, args, out));
    }
    default:
      throw new UsageError(
        args.sub === undefined
          ? "persona people: say list, show, remove, add-photo, revert or reembed"
          : `persona people: unknown subcommand ${JSON.stringify(args.sub)} (list, show, remove, add-photo, revert, reembed)`,
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
  const written = await new LibraryWriter({ bus }).execute({
    kind: "remove-person",
    personId: person.personId,
    reason,
    by: "cli",
  });
  if ("rejected" in written) throw new CliError(`${person.name} (${person.personId}) is no longer in the library`);
  const event = written.events[0];
  const done = event ? { eventId: event.env.id, seq: event.seq } : null;
  if (args.json) out.stdout(`${JSON.stringify(removal(person, reason, true, done), null, 2)}\n`);
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
      const result = await watcher.enroll(morePhotos(person, photos, "cli", args.allowDuplicate === true), {
        timeoutMs: args.timeoutMs ?? 60_000,
      });
      for (const r of reports) {
        const o = result.photos.find((p) => p.photo.sha256 === r.sha256);
        if (o === undefined || r.outcome !== "planned") continue;
        if (o.outcome === "added") Object.assign(r, { outcome: "added", templateId: o.templateId, face: o.face });
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

/** An enrollment of more photos for a person already in the library, keeping everything else as it is. */
function morePhotos(person: PersonState, photos: BlobRef[], requestedBy: string, allowDuplicate = false): EnrollRequest {
  return {
    ...(allowDuplicate ? { allowDuplicate: true } : {}),
    personId: person.personId,
    existing: true,
    name: person.name,
    description: person.description,
    photos,
    sound: person.sound,
    source: "cli",
    importKey: person.importKey,
    requestedBy,
  };
}

function localReject(path: string, code: string, message: string): PhotoReport {
  return { file: path, sha256: "", outcome: "rejected", templateId: null, reason: { code, message }, face: null };
}

/** The template model the recognizers make with this environment (their RECOGNIZER_MODEL / RECOGNIZER_FLIP). */
export function recognizerTemplateModel(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.RECOGNIZER_MODEL?.trim() || DEFAULT_EMBEDDER_MODEL;
  if (!Object.hasOwn(EMBEDDER_MODELS, name)) {
    throw new UsageError(`RECOGNIZER_MODEL=${name} is not a model (${Object.keys(EMBEDDER_MODELS).join(", ")})`);
  }
  // the recognizer's own schema, so the CLI reads RECOGNIZER_FLIP exactly as the recognizers do
  const parsed = recognizerConfig
    .pick({ RECOGNIZER_FLIP: true })
    .safeParse({ RECOGNIZER_FLIP: env.RECOGNIZER_FLIP?.trim() || undefined });
  if (!parsed.success) throw new UsageError(`RECOGNIZER_FLIP=${env.RECOGNIZER_FLIP} is not true/false/1/0/yes/no`);
  return templateModelName({ spec: { name }, flip: parsed.data.RECOGNIZER_FLIP });
}

/** One person's part of `persona people reembed --json`. */
interface ReembedPerson {
  personId: string;
  name: string;
  /** Enrollment photos that needed a template of the model. */
  planned: number;
  added: number;
  rejected: { sha256: string; key: string; code: string; message: string }[];
  failed: string | null;
}

/**
 * The photos to enroll again for `model`: each photo behind a live enrollment template of another model, when no
 * template of `model` comes from it. Photos whose templates were all reverted stay out (an operator's decision).
 */
export function photosToReembed(person: PersonState, model: string): BlobRef[] {
  const current = new Set<string>();
  const others = new Map<string, BlobRef>();
  for (const t of person.templates.values()) {
    if (t.origin.kind !== "enrollment") continue;
    if (t.model === model) current.add(t.origin.photo.sha256);
    else if (!others.has(t.origin.photo.sha256)) others.set(t.origin.photo.sha256, t.origin.photo);
  }
  return [...others.values()].filter((p) => !current.has(p.sha256));
}

/** The template model `reembed` makes: --model, or what the recognizers' environment gives; checked before connecting. */
function reembedModel(args: PeopleArgs): string {
  const model = args.model?.trim();
  if (!model) return recognizerTemplateModel(args.env ?? process.env);
  if (!Object.hasOwn(EMBEDDER_MODELS, model.replace(/\+flip$/, ""))) {
    throw new UsageError(
      `--model ${model}: not a template model (${Object.keys(EMBEDDER_MODELS).join(", ")}, each optionally +flip)`,
    );
  }
  return model;
}

async function reembed(bus: Bus, model: string, args: PeopleArgs, out: Output): Promise<number> {
  const { state } = await replayLibrary(bus);
  const people =
    args.positionals.length > 0 ? args.positionals.map((w) => findPerson(state, w)) : sortPeople([...state.people.values()]);
  const unique = [...new Map(people.map((p) => [p.personId, p])).values()];
  const plan = unique.map((p) => ({ person: p, photos: photosToReembed(p, model) })).filter((x) => x.photos.length > 0);
  const total = plan.reduce((n, x) => n + x.photos.length, 0);
  const results: ReembedPerson[] = plan.map(({ person, photos }) => ({
    personId: person.personId,
    name: person.name,
    planned: photos.length,
    added: 0,
    rejected: [],
    failed: null,
  }));
  if (!args.json) {
    out.stderr(
      unique.length === 0
        ? "the library is empty: nothing to re-embed\n"
        : total === 0
          ? `every enrollment photo of ${unique.length} ${unique.length === 1 ? "person" : "people"} has a ${model} template\n`
          : `${total} photo(s) of ${plan.length} ${plan.length === 1 ? "person" : "people"} need a ${model} template${args.dryRun ? " (dry run: nothing sent)" : ""}\n`,
    );
  }
  if (args.dryRun !== true && total > 0) {
    const watcher = await EnrollmentWatcher.start(bus);
    try {
      let done = 0;
      for (const [i, { person, photos }] of plan.entries()) {
        const r = results[i] as ReembedPerson;
        try {
          // already enrolled: a photo two people share (enrolled before duplicates were refused) stays with both
          const result = await watcher.enroll(morePhotos(person, photos, "cli reembed", true), {
            timeoutMs: args.timeoutMs ?? 60_000,
          });
          for (const o of result.photos) {
            if (o.outcome === "added") r.added++;
            else r.rejected.push({ sha256: o.photo.sha256, key: o.photo.key, ...o.reason });
          }
        } catch (err) {
          if (!(err instanceof EnrollmentTimeoutError || err instanceof CliError)) throw err;
          r.failed = err.message;
        }
        done += photos.length;
        if (!args.json) {
          const what =
            r.failed !== null
              ? `failed: ${r.failed}`
              : `${r.added} added${r.rejected.length ? `, ${r.rejected.length} rejected` : ""}`;
          out.stderr(`[${done}/${total}] ${person.name} (${person.personId}): ${what}\n`);
          for (const x of r.rejected) out.stderr(`    ${x.key}: ${x.code}: ${x.message}\n`);
        }
        // a recognizer that does not answer will not answer the next person either
        if (r.failed !== null) break;
      }
    } finally {
      await watcher.close();
    }
  }
  const added = results.reduce((n, r) => n + r.added, 0);
  const rejected = results.reduce((n, r) => n + r.rejected.length, 0);
  const failed = results.filter((r) => r.failed !== null).length;
  // people not tried: the run stops at the first person whose enrollment got no answer
  const notTried = args.dryRun ? 0 : results.filter((r) => r.failed === null && r.added + r.rejected.length === 0).length;
  if (args.json) {
    out.stdout(
      `${JSON.stringify({ version: 1, model, dryRun: args.dryRun === true, people: unique.length, planned: total, added, rejected, failed, results }, null, 2)}\n`,
    );
  } else if (args.dryRun !== true && total > 0) {
    out.stdout(
      `${model}: ${added} template(s) added, ${rejected} photo(s) rejected${failed ? `, ${failed} person(s) failed` : ""}\n`,
    );
  }
  return rejected + failed + notTried === 0 ? 0 : 1;
}
