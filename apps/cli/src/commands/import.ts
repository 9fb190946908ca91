import { resolve } from "node:path";
import type { Bus } from "@persona/bus";
import type { BlobRef, DataOf } from "@persona/contracts";
import { uploadFile } from "../client/blobs.ts";
import { connectCli, ensureTopology } from "../client/connect.ts";
import { type EnrollmentResult, EnrollmentTimeoutError, EnrollmentWatcher, LibraryWriter } from "@persona/library";
import { replayLibrary } from "../client/libraryReplay.ts";
import { UsageError } from "../errors.ts";
import { GroupJoiner } from "../library/groups.ts";
import { type FolderScan, ImportDirError, type LocalFile, listPersonFolders, scanPersonFolder } from "../library/folder.ts";
import { type PlanItem, planImport } from "../library/plan.ts";
import {
  type ImportReport,
  type PersonReport,
  type PhotoReport,
  importExitCode,
  plannedReport,
  renderImportReport,
  summarize,
} from "../library/report.ts";
import { type Output, progress, stdio } from "../output.ts";

export interface ImportArgs {
  dir: string;
  json: boolean;
  dryRun: boolean;
  retryRejected: boolean;
  /** Enroll photos that are another person's too. Default false. */
  allowDuplicate?: boolean;
  /** Per person, ms. Default 60000. */
  timeoutMs?: number;
  /** People enrolled at once. Default 4. */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
}

export async function importCommand(args: ImportArgs, out: Output = stdio()): Promise<number> {
  const startedAt = new Date().toISOString();
  const dir = resolve(args.dir);
  let folders: string[];
  try {
    folders = await listPersonFolders(dir);
  } catch (err) {
    if (err instanceof ImportDirError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  const scans: FolderScan[] = [];
  const scanning = progress(out, "scanning", folders.length);
  for (const f of folders) {
    scans.push(await scanPersonFolder(f));
    scanning.tick(scans[scans.length - 1]?.folder ?? "");
  }
  scanning.done();

  const bus = await connectCli({ env: args.env });
  try {
    if (!args.dryRun) await ensureTopology(bus);
    const library = await replayLibrary(bus);
    const plan = planImport(scans, library.state, library.rejected, {
      retryRejected: args.retryRejected,
      allowDuplicate: args.allowDuplicate === true,
    });
    const people = args.dryRun ? plan.map(plannedReport) : await execute(bus, plan, args, out);
    await joinGroups(bus, plan, people, args.dryRun);
    const report: ImportReport = {
      version: 1,
      dir,
      dryRun: args.dryRun,
      startedAt,
      finishedAt: new Date().toISOString(),
      summary: summarize(people),
      people,
    };
    out.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderImportReport(report));
    return importExitCode(report);
  } finally {
    await bus.close();
  }
}

async function execute(bus: Bus, plan: PlanItem[], args: ImportArgs, out: Output): Promise<PersonReport[]> {
  const watcher = await EnrollmentWatcher.start(bus);
  const results: PersonReport[] = new Array(plan.length);
  const sending = progress(out, "importing", plan.length);
  let aborted: string | null = null;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const item = plan[i];
      if (item === undefined) return;
      results[i] = await executeOne(bus, watcher, item, args, () => aborted).catch((err: unknown) => {
        if (err instanceof EnrollmentTimeoutError) aborted ??= err.message;
        return failed(item, err);
      });
      sending.tick(`${results[i]?.status ?? ""} ${item.scan.folder}`);
    }
  };
  try {
    const pulling = await watcher.recognizersPulling();
    if (pulling === 0 && plan.some((p) => p.kind === "enroll" || (p.kind === "update" && p.newPhotos.length > 0))) {
      out.stderr("warning: no recognizer is pulling enrollment requests now (is the recognizer running?)\n");
    }
    await Promise.all(Array.from({ length: Math.max(1, args.concurrency ?? 4) }, worker));
  } finally {
    sending.done();
    await watcher.close();
  }
  return results;
}

/**
 * The groups of each folder's `groups` file (#17), for the people now in the library (imported, updated or
 * unchanged); a dry run says what it would do. Nothing is read or written when no folder has one.
 */
async function joinGroups(bus: Bus, plan: PlanItem[], people: PersonReport[], dryRun: boolean): Promise<void> {
  if (!plan.some((item) => item.scan.ok && item.scan.groups.length > 0)) return;
  const joiner = await GroupJoiner.open(bus);
  for (const [i, item] of plan.entries()) {
    const report = people[i];
    if (!item.scan.ok || item.scan.groups.length === 0 || report === undefined) continue;
    if (dryRun) report.groups = joiner.plan(report.personId, item.scan.groups);
    else if (report.status !== "rejected" && report.status !== "failed" && report.personId !== null) {
      report.groups = await joiner.join(report.personId, report.name ?? item.scan.name, item.scan.groups, "cli");
    }
  }
}

function failed(item: PlanItem, err: unknown): PersonReport {
  const planned = plannedReport(item);
  const code = err instanceof EnrollmentTimeoutError ? "timeout" : "failed";
  const message = err instanceof Error ? err.message : String(err);
  const partial = err instanceof EnrollmentTimeoutError ? err.partial : null;
  return {
    ...planned,
    status: "failed",
    reason: { code, message },
    photos: planned.photos.map((p) => (p.outcome === "planned" ? decided(p, partial) : p)),
  };
}

function decided(p: PhotoReport, partial: EnrollmentResult | null): PhotoReport {
  const r = partial?.photos.find((x) => x.photo.sha256 === p.sha256);
  if (r === undefined) return { ...p, outcome: "failed" };
  return r.outcome === "added"
    ? { ...p, outcome: "added", templateId: r.templateId, face: r.face }
    : { ...p, outcome: "rejected", reason: r.reason };
}

async function executeOne(
  bus: Bus,
  watcher: EnrollmentWatcher,
  item: PlanItem,
  args: ImportArgs,
  aborted: () => string | null,
): Promise<PersonReport> {
  const planned = plannedReport(item);
  if (item.kind === "reject" || item.kind === "reject-again" || item.kind === "unchanged") return planned;
  const stop = aborted();
  if (stop !== null) {
    return {
      ...planned,
      status: "failed",
      reason: { code: "not-attempted", message: "not sent: an earlier request got no answer" },
      photos: planned.photos.map((p) => (p.outcome === "planned" ? { ...p, outcome: "failed" } : p)),
    };
  }
  const scan = item.scan;
  const personId = item.kind === "enroll" ? item.personId : item.person.personId;
  const request = (photos: BlobRef[], sound: BlobRef | null, existing: boolean): DataOf<"EnrollPerson"> => ({
    requestId: crypto.randomUUID(),
    personId,
    existing,
    name: scan.name,
    description: scan.description,
    photos,
    sound,
    source: "import",
    importKey: scan.importKey,
    requestedBy: "cli",
    ...(args.allowDuplicate ? { allowDuplicate: true } : {}),
  });
  const upload = (files: LocalFile[]) => Promise.all(files.map((f) => uploadFile(bus, "photos", personId, f)));
  const timeoutMs = args.timeoutMs ?? 60_000;

  if (item.kind === "enroll") {
    const photos = await upload(item.photos);
    const sound = scan.sound === null ? null : await uploadFile(bus, "sounds", personId, scan.sound);
    const result = await watcher.enroll(request(photos, sound, false), { timeoutMs });
    const merged = mergeOutcomes(planned.photos, result);
    return result.enrolled
      ? { ...planned, status: "imported", photos: merged }
      : {
          ...planned,
          status: "rejected",
          photos: merged,
          reason: { code: "photos-rejected", message: rejectionSummary(merged) },
        };
  }

  // an existing person: field changes first, then the new photos
  const changes = item.changes;
  let sound = item.person.sound;
  if (changes.length > 0) {
    const data: DataOf<"PersonUpdated"> = { personId, by: "cli" };
    if (changes.includes("name")) data.name = scan.name;
    if (changes.includes("description")) data.description = scan.description;
    if (changes.includes("sound")) {
      sound = scan.sound === null ? null : await uploadFile(bus, "sounds", personId, scan.sound);
      data.sound = sound;
    }
    // a person removed since the plan was made is refused: the folder is reported rejected, its photos not sent
    const out = await new LibraryWriter({ bus }).execute({ kind: "update-person", change: data });
    if ("rejected" in out) {
      const notSent = planned.photos.map((p) =>
        p.outcome === "planned" ? { ...p, outcome: "failed" as const, reason: out.rejected } : p,
      );
      return { ...planned, status: "rejected", photos: notSent, reason: out.rejected };
    }
  }
  if (item.newPhotos.length === 0) return planned;
  const photos = await upload(item.newPhotos);
  const result = await watcher.enroll(request(photos, sound, true), { timeoutMs });
  const merged = mergeOutcomes(planned.photos, result);
  const added = result.photos.some((p) => p.outcome === "added");
  const allChanges = [...changes, ...(added ? ["photos"] : [])];
  return { ...planned, status: allChanges.length > 0 ? "updated" : "unchanged", changes: allChanges, photos: merged };
}

function mergeOutcomes(photos: PhotoReport[], result: EnrollmentResult): PhotoReport[] {
  return photos.map((p) => (p.outcome === "planned" ? decided(p, result) : p));
}

function rejectionSummary(photos: PhotoReport[]): string {
  const reasons = photos.filter((p) => p.reason !== null).map((p) => `${p.file}: ${p.reason?.code}`);
  return `the recognizer accepted no photo (${reasons.join("; ")})`;
}
