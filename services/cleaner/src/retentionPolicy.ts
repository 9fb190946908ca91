import type { Config } from "./config.ts";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** How long each kind of data is kept (ms; null = forever). */
export interface RetentionPolicy {
  unknownCropsMs: number | null;
  sightingsMs: number | null;
  alertsMs: number | null;
  attendanceMs: number | null;
  presenceMs: number | null;
  appliedMs: number | null;
  visitorsMs: number | null;
  orphanGraceMs: number;
}

export function policyFromConfig(c: Config): RetentionPolicy {
  const keep = (ms: number) => (ms === 0 ? null : ms);
  return {
    unknownCropsMs: keep(c.RETENTION_UNKNOWN_CROPS_HOURS * HOUR_MS),
    sightingsMs: keep(c.RETENTION_SIGHTINGS_DAYS * DAY_MS),
    alertsMs: keep(c.RETENTION_ALERTS_DAYS * DAY_MS),
    attendanceMs: keep(c.RETENTION_ATTENDANCE_DAYS * DAY_MS),
    presenceMs: keep(c.RETENTION_PRESENCE_HOURS * HOUR_MS),
    appliedMs: keep(c.RETENTION_APPLIED_DAYS * DAY_MS),
    visitorsMs: keep(c.RETENTION_VISITORS_DAYS * DAY_MS),
    orphanGraceMs: c.CLEANER_ORPHAN_GRACE_HOURS * HOUR_MS,
  };
}

/** The instants before which each kind of data goes (null = kept). */
export interface Cutoffs {
  unknownCrops: Date | null;
  sightings: Date | null;
  alerts: Date | null;
  /** A calendar day "YYYY-MM-DD" (UTC): attendance days before it go. */
  attendanceDay: string | null;
  presence: Date | null;
  /** Applied-event records of the read models. */
  applied: Date | null;
  /** Open visitors last seen before it. */
  visitors: Date | null;
  orphans: Date;
}

export function cutoffs(policy: RetentionPolicy, nowMs: number): Cutoffs {
  const before = (ms: number | null) => (ms === null ? null : new Date(nowMs - ms));
  const sightings = before(policy.sightingsMs);
  let unknownCrops = before(policy.unknownCropsMs);
  // an unknown face's crop never outlives its sighting
  if (sightings !== null && (unknownCrops === null || unknownCrops < sightings)) unknownCrops = sightings;
  const attendance = before(policy.attendanceMs);
  return {
    unknownCrops,
    sightings,
    alerts: before(policy.alertsMs),
    attendanceDay: attendance === null ? null : attendance.toISOString().slice(0, 10),
    presence: before(policy.presenceMs),
    applied: before(policy.appliedMs),
    visitors: before(policy.visitorsMs),
    orphans: new Date(nowMs - policy.orphanGraceMs),
  };
}

/** Counts of what one retention run removed, by kind (the RetentionRunCompleted event's `removed`). */
export type RemovedCounts = Record<string, number>;

export function addCount(counts: RemovedCounts, kind: string, n: number): void {
  if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
}
