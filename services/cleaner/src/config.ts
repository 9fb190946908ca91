import { env, defaultStoreUrl } from "@persona/runtime";
import { z } from "zod";

/** The cleaner service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  /** The document store holding the read models (the portal's) that retention prunes and erasure purges: the same as
   * the portal's STORE_URL. */
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  /** How often the retention run (and the orphan sweep) runs. */
  CLEANER_INTERVAL_MINUTES: env.int(10, 1, 10080),
  /** Crops of unknown faces (the UnknownFaceSeen messages that carry them, and stored crop objects). 0 = keep. */
  RETENTION_UNKNOWN_CROPS_HOURS: env.int(8, 0, 24 * 3650),
  /** Sightings (records, messages) and their crops. 0 = keep (up to the SIGHTINGS stream's own 30-day limit). */
  RETENTION_SIGHTINGS_DAYS: env.int(30, 0, 3650),
  /** Alerts (records and messages). 0 = keep (up to the ALERTS stream's own 90-day limit). */
  RETENTION_ALERTS_DAYS: env.int(90, 0, 3650),
  /** Attendance days. 0 = keep forever (the default). */
  RETENTION_ATTENDANCE_DAYS: env.int(0, 0, 36500),
  /** A presence record (someone "in view") whose track was not seen for this long is dropped. 0 = keep. */
  RETENTION_PRESENCE_HOURS: env.int(24, 0, 24 * 3650),
  /**
   * An open visitor (a recurring unknown face nobody named or ignored) not seen for this long leaves the visitors read
   * model, best faces' embeddings included; named and ignored ones stay (decisions; the alert rules need the ignored
   * ones). The trainer forgets it with VISITORS_RETENTION_DAYS (set both alike). 0 = keep.
   */
  RETENTION_VISITORS_DAYS: env.int(30, 0, 3650),
  /**
   * The read models' applied-event records (one per event and projection, used to skip redelivered events) older
   * than this are pruned; checkpoints stay. 0 = keep. Far longer than any redelivery or duplicate window.
   */
  RETENTION_APPLIED_DAYS: env.int(7, 0, 3650),
  /** Photos and sounds of nobody in the library are removed once older than this (an enrollment in flight has none yet). */
  CLEANER_ORPHAN_GRACE_HOURS: env.int(24, 1, 24 * 3650),
  /** How often consumers and dead letters are checked. */
  CLEANER_HEALTH_INTERVAL_SECONDS: env.int(60, 1, 86400),
  /** A durable consumer with more undelivered messages than this, not shrinking over consecutive checks, is stuck. */
  CLEANER_PENDING_THRESHOLD: env.int(1000, 0, Number.MAX_SAFE_INTEGER),
  /** A durable consumer with more redelivered messages outstanding than this over consecutive checks is failing. */
  CLEANER_REDELIVERED_THRESHOLD: env.int(10, 0, Number.MAX_SAFE_INTEGER),
  /** How many consecutive checks a condition must hold before an alert is raised (and stay clear before it resolves). */
  CLEANER_HEALTH_CONSECUTIVE: env.int(3, 1, 100),
  /** The lease that makes one cleaner the active one (retention and health checks); renewed every third of it. */
  CLEANER_LEASE_SECONDS: env.int(60, 5, 3600),
  /** Erasure: how long to wait for the library's durable consumers to take the person's removal before purging. */
  ERASE_SETTLE_SECONDS: env.int(10, 0, 600),
});
export type Config = z.infer<typeof configSchema>;
