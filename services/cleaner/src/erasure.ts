import { setTimeout as sleep } from "node:timers/promises";
import type { Bus } from "@persona/bus";
import { type AnyEnvelope, type BlobRef, type EnvelopeOf, uuidFrom } from "@persona/contracts";
import { LIBRARY_EVENT_TYPES, type LibraryEvent, LibraryWriter, emptyLibrary, evolve } from "@persona/library";
import type { Logger } from "@persona/runtime";
import type { CleanerCollections } from "./collections.ts";
import {
  alertOf,
  blobsOf,
  commandNames,
  jsonMentions,
  rejectionNames,
  sightingOf,
  systemNames,
  trackKey,
} from "./erasureMatch.ts";
import { addCount, type RemovedCounts } from "./retentionPolicy.ts";
import { eraseFromSessions } from "./sessionsErasure.ts";
import { isNotFound } from "./streams.ts";

/**
 * Erasing a person (a privacy request): their library events, photos, sounds, templates, crops, sightings (whole
 * tracks), alerts, greetings, pending commands, dead letters, their sessions data (corrections, verdicts, negatives,
 * group memberships, rosters), track votes and read-model rows. Idempotent: erasing
 * twice removes nothing the second time. Ends with a PersonErased audit record (id, who asked, counts; no name, no
 * photo, no embedding).
 */

export interface ErasureDeps {
  bus: Bus;
  collections: CleanerCollections;
  log: Logger;
  /** How long to wait for the LIBRARY durable consumers to take the removal (ms). */
  settleMs: number;
  /** Pause before the second sweep, for recognitions in flight when the person was removed (ms). */
  graceMs?: number;
}

export interface ErasureRequest {
  personId: string;
  by: string;
  reason: string;
  /** The command that asked (its id becomes the cause of the audit record), if any. */
  cause?: { id: string; correlationId: string };
  /** The COMMANDS sequence of that command, which is being handled (not deleted by the sweep of pending commands). */
  commandSeq?: number;
}

export interface ErasureResult {
  personId: string;
  existed: boolean;
  removed: RemovedCounts;
  audit: EnvelopeOf<"PersonErased">;
}

const dec = new TextDecoder();

/** The person as the LIBRARY stream knows them now: whether they exist, their events' sequences and blobs. */
async function personEvents(bus: Bus, personId: string) {
  const state = emptyLibrary();
  const seqs: number[] = [];
  const blobs: BlobRef[] = [];
  await bus.replay({ stream: "LIBRARY", filter: `library.${personId}.>` }, (m) => {
    seqs.push(m.seq);
    const env = m.env;
    if (env === null) return;
    blobs.push(...blobsOf(env));
    if ((LIBRARY_EVENT_TYPES as readonly string[]).includes(env.type)) evolve(state, env as LibraryEvent, m.seq);
  });
  return { exists: state.people.has(personId), seqs, blobs };
}

/** Removes the person through the library writer (when they are in the library) so running recognizers forget them now. */
export async function removePerson(
  bus: Bus,
  req: { personId: string; by: string; reason: string; cause?: { id: string; correlationId: string } },
): Promise<{ existed: boolean; seq: number | null }> {
  const cause = req.cause;
  const out = await new LibraryWriter({ bus }).execute(
    { kind: "remove-person", personId: req.personId, reason: req.reason, by: req.by },
    cause ? { id: () => uuidFrom(`removed/${cause.id}`), correlationId: cause.correlationId, causationId: cause.id } : {},
  );
  if ("rejected" in out) return { existed: false, seq: null };
  return { existed: true, seq: out.events[0]?.seq ?? null };
}

/** Waits (bounded) until every active durable consumer of LIBRARY has acknowledged `seq`. */
async function waitForLibraryDurables(bus: Bus, seq: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const behind: string[] = [];
    for await (const c of bus.jsm.consumers.list("LIBRARY")) {
      if (!c.config.durable_name) continue;
      // nobody is pulling from it: nothing runs that would apply the removal now
      if (c.num_waiting === 0 && c.num_ack_pending === 0) continue;
      if (c.ack_floor.stream_seq < seq) behind.push(c.name);
    }
    if (behind.length === 0 || Date.now() >= deadline) {
      if (behind.length > 0) bus.log.warn({ behind, seq }, "library consumers did not take the removal in time; erasing anyway");
      return;
    }
    await sleep(100);
  }
}

async function deleteSeqs(bus: Bus, stream: string, seqs: Iterable<number>): Promise<number> {
  let n = 0;
  for (const seq of seqs) {
    try {
      if (await bus.jsm.streams.deleteMessage(stream, seq, true)) n++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return n;
}

async function deleteObject(bus: Bus, bucket: string, key: string): Promise<boolean> {
  const os = await bus.objectStore(bucket);
  const info = await os.info(key);
  if (info === null || info.deleted) return false;
  await os.delete(key);
  return true;
}

/** Deletes every object under `<prefix>/` of a bucket. */
async function deletePrefix(bus: Bus, bucket: string, prefix: string): Promise<number> {
  const os = await bus.objectStore(bucket);
  let n = 0;
  for (const o of await os.list()) {
    if (o.deleted || !o.name.startsWith(`${prefix}/`)) continue;
    await os.delete(o.name);
    n++;
  }
  return n;
}

/** One sweep of the SIGHTINGS stream from `fromSeq`: the tracks naming the person and every message of them. */
async function sweepSightings(bus: Bus, personId: string, tracks: Set<string>, fromSeq: number) {
  const byTrack = new Map<string, { seqs: number[]; blobs: BlobRef[] }>();
  const { last } = await bus.replay({ stream: "SIGHTINGS", filter: "sightings.>", from: { seq: fromSeq } }, (m) => {
    const env = m.env;
    if (env === null) return;
    const s = sightingOf(env, personId);
    if (s === null) return;
    if (s.names) tracks.add(s.track);
    let t = byTrack.get(s.track);
    if (t === undefined) {
      t = { seqs: [], blobs: [] };
      byTrack.set(s.track, t);
    }
    t.seqs.push(m.seq);
    t.blobs.push(...blobsOf(env));
  });
  const seqs: number[] = [];
  const blobs: BlobRef[] = [];
  for (const [track, t] of byTrack) {
    if (!tracks.has(track)) continue;
    seqs.push(...t.seqs);
    blobs.push(...t.blobs);
  }
  return { last, seqs, blobs };
}

/** Scans a stream and deletes the messages `matches` picks; returns how many and the blobs they referenced. */
async function sweepStream(
  bus: Bus,
  stream: string,
  filter: string,
  matches: (env: AnyEnvelope | null, raw: Uint8Array, seq: number) => boolean,
): Promise<{ deleted: number; blobs: BlobRef[] }> {
  const seqs: number[] = [];
  const blobs: BlobRef[] = [];
  await bus.replay({ stream, filter }, (m) => {
    const env = m.env;
    if (!matches(env, m.data, m.seq)) return;
    seqs.push(m.seq);
    if (env) blobs.push(...blobsOf(env));
  });
  return { deleted: await deleteSeqs(bus, stream, seqs), blobs };
}

export async function erasePerson(d: ErasureDeps, req: ErasureRequest): Promise<ErasureResult> {
  const { bus, collections: c } = d;
  const pid = req.personId;
  const removed: RemovedCounts = {};
  const log = d.log.child({ personId: pid });

  // 1. running recognizers forget them at once
  const removal = await removePerson(bus, req);
  if (removal.seq !== null) await waitForLibraryDurables(bus, removal.seq, d.settleMs);

  const tracks = new Set<string>();
  const blobs: BlobRef[] = [];
  const alertIds = new Set<string>();
  let sightingsFrom = 1;

  const sweep = async () => {
    // 2. the library: every event of theirs (secure delete), then a purge of their subject for anything newer
    const lib = await personEvents(bus, pid);
    blobs.push(...lib.blobs);
    addCount(removed, "libraryEvents", await deleteSeqs(bus, "LIBRARY", lib.seqs));
    addCount(removed, "libraryEvents", (await bus.jsm.streams.purge("LIBRARY", { filter: `library.${pid}.>` })).purged);
    const rejections = await sweepStream(bus, "LIBRARY", "library.rejections.>", (e) => e !== null && rejectionNames(e, pid));
    addCount(removed, "libraryRejections", rejections.deleted);

    // 3. sightings: whole tracks that name them
    const s = await sweepSightings(bus, pid, tracks, sightingsFrom);
    if (s.last > 0) sightingsFrom = s.last + 1;
    addCount(removed, "sightingMessages", await deleteSeqs(bus, "SIGHTINGS", s.seqs));
    blobs.push(...s.blobs);

    // 4. alerts about them or their tracks, with their acknowledgements and resolutions
    const alertSeqs = new Map<string, number[]>();
    await bus.replay({ stream: "ALERTS", filter: "alerts.>" }, (m) => {
      const env = m.env;
      if (env === null) return;
      const a = alertOf(env, pid, tracks);
      if (a === null) return;
      if (a.names) {
        alertIds.add(a.alertId);
        blobs.push(...blobsOf(env));
      }
      alertSeqs.set(a.alertId, [...(alertSeqs.get(a.alertId) ?? []), m.seq]);
    });
    const alertMessages = [...alertIds].flatMap((id) => alertSeqs.get(id) ?? []);
    addCount(removed, "alertMessages", await deleteSeqs(bus, "ALERTS", alertMessages));

    // 5. greetings, pending commands, dead letters
    addCount(
      removed,
      "systemMessages",
      (await sweepStream(bus, "SYSTEM", "system.greeting.>", (e) => e !== null && systemNames(e, pid))).deleted,
    );
    const commands = await sweepStream(
      bus,
      "COMMANDS",
      "commands.>",
      (e, _raw, seq) => e !== null && seq !== req.commandSeq && commandNames(e, pid),
    );
    addCount(removed, "commands", commands.deleted);
    blobs.push(...commands.blobs);
    const dead = await sweepStream(bus, "DEADLETTER", "deadletter.>", (e) => {
      if (e?.type !== "MessageDeadLettered") return false;
      const payload = Buffer.from(e.data.payloadBase64, "base64").toString("utf8");
      return jsonMentions(payload, pid);
    });
    addCount(removed, "deadLetters", dead.deleted);

    // 6. sessions: their corrections, verdicts and negatives, group memberships and rosters (sessionsErasure.ts)
    await eraseFromSessions(bus, pid, req.by, removed);

    // 7. track votes shared by the recognizers
    addCount(removed, "trackVotes", await sweepTrackVotes(bus, pid, tracks));

    // 8. objects: everything under their prefix, and every blob their messages pointed to
    addCount(removed, "photos", await deletePrefix(bus, "photos", pid));
    addCount(removed, "sounds", await deletePrefix(bus, "sounds", pid));
    addCount(removed, "crops", await deletePrefix(bus, "crops", pid));
    for (const b of dedupeBlobs(blobs.splice(0))) {
      if (await deleteObject(bus, b.bucket, b.key).catch(() => false)) addCount(removed, b.bucket, 1);
    }

    // 9. read models
    await eraseRows(c, pid, tracks, alertIds, removed);
  };

  await sweep();
  // recognitions in flight when they were removed (published after the first sweep read the stream)
  await sleep(d.graceMs ?? 1000);
  await sweep();

  const audit = bus.envelope(
    "PersonErased",
    { personId: pid, by: req.by, removed },
    req.cause
      ? { id: uuidFrom(`erased/${req.cause.id}`), correlationId: req.cause.correlationId, causationId: req.cause.id }
      : {},
  );
  await bus.publish(audit);
  log.info({ removed, existed: removal.existed }, "person erased");
  return { personId: pid, existed: removal.existed, removed, audit };
}

function dedupeBlobs(blobs: BlobRef[]): BlobRef[] {
  const seen = new Map<string, BlobRef>();
  for (const b of blobs) seen.set(`${b.bucket}/${b.key}`, b);
  return [...seen.values()];
}

/** Removes the shared vote state of every track that names the person. */
async function sweepTrackVotes(bus: Bus, pid: string, tracks: ReadonlySet<string>): Promise<number> {
  const kv = await bus.kv("tracks");
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  let n = 0;
  for (const k of keys) {
    const e = await kv.get(k);
    if (e === null || e.operation !== "PUT" || e.length === 0) continue;
    const text = dec.decode(e.value);
    // keys are `<cameraId>.<trackId>`
    const dot = k.indexOf(".");
    const track = dot > 0 ? trackKey(k.slice(0, dot), k.slice(dot + 1)) : "";
    if (jsonMentions(text, pid) || tracks.has(track)) {
      await kv.purge(k);
      n++;
    }
  }
  return n;
}

async function eraseRows(
  c: CleanerCollections,
  pid: string,
  tracks: ReadonlySet<string>,
  alertIds: ReadonlySet<string>,
  removed: RemovedCounts,
): Promise<void> {
  addCount(removed, "people", (await c.people.delete(pid)) ? 1 : 0);
  addCount(removed, "personTemplates", await c.personTemplates.deleteMany({ personId: pid }));
  // crops of their sightings that live in the Object Store are gone with the objects above
  addCount(removed, "sightings", await c.sightings.deleteMany({ personId: pid }));
  addCount(removed, "presence", await c.presence.deleteMany({ personId: pid }));
  addCount(removed, "concludedTracks", await c.sightingTracks.deleteMany({ personId: pid }));
  for (const t of tracks) {
    const [cameraId, trackId] = t.split("/") as [string, string];
    addCount(removed, "sightings", await c.sightings.deleteMany({ cameraId, trackId }));
    addCount(removed, "presence", await c.presence.deleteMany({ cameraId, trackId }));
    addCount(removed, "concludedTracks", await c.presenceConcluded.deleteMany({ cameraId, trackId }));
    addCount(removed, "concludedTracks", await c.sightingTracks.deleteMany({ cameraId, trackId }));
    addCount(removed, "unknownTracks", await c.unknownTracks.deleteMany({ cameraId, trackId }));
    await c.visitorTracks.deleteMany({ id: t });
  }
  // unknown faces whose nearest enrolled person was them: the track stays, without them
  for (const u of await c.unknownTracks.find({ "nearest.personId": pid })) await c.unknownTracks.put({ ...u, nearest: null });
  addCount(removed, "attendance", await c.attendance.deleteMany({ personId: pid }));
  addCount(removed, "attendanceSpans", await c.attendanceSpans.deleteMany({ personId: pid }));
  addCount(removed, "alerts", await c.alerts.deleteMany({ personId: pid }));
  for (const id of alertIds) addCount(removed, "alerts", (await c.alerts.delete(id)) ? 1 : 0);
}
