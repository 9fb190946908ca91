import type { Bus } from "@persona/bus";
import type { EnvelopeOf } from "@persona/contracts";
import { LIBRARY_EVENT_TYPES, type LibraryEvent, emptyLibrary, evolve } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { type CleanerCollections, objectOfLocator } from "./collections.ts";
import { type Cutoffs, type RemovedCounts, type RetentionPolicy, addCount, cutoffs } from "./retentionPolicy.ts";
import { purgeOlderThan } from "./streams.ts";

/**
 * One retention run: what is older than its kind's retention goes from the read models, the streams and the Object
 * Store; photos and sounds of nobody in the library (older than a grace period) go too. Publishes
 * RetentionRunCompleted with the counts. Safe to run twice or by two cleaners at once (every step is a delete of
 * what is expired).
 *
 * Ages: stream messages and objects by the time the server stored them; read-model rows by their own time (a
 * sighting's frame time, an alert's time, an attendance day).
 */

export interface RetentionDeps {
  bus: Bus;
  collections: CleanerCollections;
  policy: RetentionPolicy;
  now: () => number;
  log: Logger;
}

export interface RetentionResult {
  cutoffs: Cutoffs;
  removed: RemovedCounts;
  objectsRemoved: number;
  orphansRemoved: number;
  event: EnvelopeOf<"RetentionRunCompleted">;
}

const PAGE = 500;

export async function runRetention(d: RetentionDeps): Promise<RetentionResult> {
  const startedAt = new Date(d.now());
  const c = cutoffs(d.policy, startedAt.getTime());
  const { bus, collections: col } = d;
  const removed: RemovedCounts = {};
  let objectsRemoved = 0;

  const deleteCropObject = async (cropId: string | null | undefined): Promise<void> => {
    const o = objectOfLocator(cropId);
    if (o === null) return;
    const os = await bus.objectStore(o.bucket).catch(() => null);
    const info = await os?.info(o.key);
    if (os && info && !info.deleted) {
      await os.delete(o.key);
      objectsRemoved++;
      addCount(removed, "cropObjects", 1);
    }
  };

  // unknown faces' crops: the UnknownFaceSeen messages carry them inline (and their embeddings); stored ones go too
  if (c.unknownCrops !== null) {
    addCount(removed, "unknownFaceMessages", await purgeOlderThan(bus, "SIGHTINGS", "sightings.*.unknown", c.unknownCrops));
    const filter = { kind: "unknown", at: { $lt: c.unknownCrops.toISOString() }, cropId: { $ne: null } };
    for (;;) {
      const rows = await col.sightings.find(filter, { limit: PAGE });
      if (rows.length === 0) break;
      for (const row of rows) {
        await deleteCropObject(row.cropId);
        await col.sightings.put({ ...row, cropId: null });
      }
      addCount(removed, "unknownCrops", rows.length);
    }
  }

  // sightings and their crops
  if (c.sightings !== null) {
    addCount(removed, "sightingMessages", await purgeOlderThan(bus, "SIGHTINGS", "sightings.>", c.sightings));
    const old = { at: { $lt: c.sightings.toISOString() } };
    for (let skip = 0; ; skip += PAGE) {
      const rows = await col.sightings.find({ ...old, cropId: { $ne: null } }, { limit: PAGE, skip, sort: { at: 1 } });
      if (rows.length === 0) break;
      for (const row of rows) await deleteCropObject(row.cropId);
    }
    addCount(removed, "sightings", await col.sightings.deleteMany(old));
    // the tracks' conclusions shown beside the sightings go with them
    addCount(removed, "sightingTracks", await col.sightingTracks.deleteMany({ endedAt: { $lt: c.sightings.toISOString() } }));
    // the unknown tracks whose shots all went, and which visitor they belonged to
    for (;;) {
      const gone = await col.unknownTracks.find({ lastSeen: { $lt: c.sightings.toISOString() } }, { limit: PAGE });
      if (gone.length === 0) break;
      const ids = gone.map((t) => t.id);
      await col.visitorTracks.deleteMany({ id: { $in: ids } });
      addCount(removed, "unknownTracks", await col.unknownTracks.deleteMany({ id: { $in: ids } }));
    }
    const crops = await bus.objectStore("crops");
    for (const o of await crops.list()) {
      if (o.deleted || Date.parse(o.mtime) >= c.sightings.getTime()) continue;
      await crops.delete(o.name);
      objectsRemoved++;
      addCount(removed, "cropObjects", 1);
    }
  }

  if (c.alerts !== null) {
    addCount(removed, "alertMessages", await purgeOlderThan(bus, "ALERTS", "alerts.>", c.alerts));
    addCount(removed, "alerts", await col.alerts.deleteMany({ at: { $lt: c.alerts.toISOString() } }));
  }

  if (c.attendanceDay !== null) {
    addCount(removed, "attendance", await col.attendance.deleteMany({ day: { $lt: c.attendanceDay } }));
    addCount(removed, "attendanceSpans", await col.attendanceSpans.deleteMany({ day: { $lt: c.attendanceDay } }));
  }

  if (c.presence !== null) {
    addCount(removed, "presence", await col.presence.deleteMany({ lastSeenAt: { $lt: c.presence.toISOString() } }));
  }

  // open visitors (nobody named or ignored them) not seen since the cutoff, with their best faces' embeddings
  if (c.visitors !== null) {
    addCount(removed, "visitors", await col.visitors.deleteMany({ status: "open", lastSeen: { $lt: c.visitors.toISOString() } }));
  }

  // the read models' applied-event records (they grow with every event; checkpoints keep redeliveries skipped)
  if (c.applied !== null) addCount(removed, "appliedRecords", await col.store.pruneApplied(c.applied));

  const orphansRemoved = await removeOrphans(bus, c.orphans);
  addCount(removed, "orphans", orphansRemoved);

  const event = bus.envelope("RetentionRunCompleted", {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(Math.max(d.now(), startedAt.getTime())).toISOString(),
    removed,
    objectsRemoved,
    orphansRemoved,
  });
  await bus.publish(event);
  d.log.info({ removed, objectsRemoved, orphansRemoved }, "retention run completed");
  return { cutoffs: c, removed, objectsRemoved, orphansRemoved, event };
}

/** Everyone in the library now, from the LIBRARY stream. */
export async function libraryPeople(bus: Bus): Promise<Set<string>> {
  const state = emptyLibrary();
  await bus.replay({ stream: "LIBRARY", filter: "library.>" }, (m) => {
    const env = m.env;
    if (env && (LIBRARY_EVENT_TYPES as readonly string[]).includes(env.type)) evolve(state, env as LibraryEvent, m.seq);
  });
  return new Set(state.people.keys());
}

/**
 * Photos and sounds (`<personId>/<sha256>.<ext>`) of nobody in the library, stored before `before` (an enrollment
 * uploads its photos before the library names the person; a rejected one leaves them behind).
 */
async function removeOrphans(bus: Bus, before: Date): Promise<number> {
  const people = await libraryPeople(bus);
  let n = 0;
  for (const bucket of ["photos", "sounds"]) {
    const os = await bus.objectStore(bucket);
    for (const o of await os.list()) {
      if (o.deleted || Date.parse(o.mtime) >= before.getTime()) continue;
      const slash = o.name.indexOf("/");
      if (slash <= 0 || people.has(o.name.slice(0, slash))) continue;
      await os.delete(o.name);
      n++;
    }
  }
  return n;
}
