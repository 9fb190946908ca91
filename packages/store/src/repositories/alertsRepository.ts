import { z } from "zod";
import type { CollectionDef, DocumentStore } from "../types.ts";
import { EntityId, ObjectKey, type TimelineQuery, TimelineRepository, UtcTime, ValidatedCollection } from "./common.ts";

/** "low" | "medium" | "high" | "critical" are the contracts' alert severities; "info" | "warning" are older values. */
export const AlertSeverity = z.enum(["info", "warning", "low", "medium", "high", "critical"]);
export const AlertStatus = z.enum(["raised", "acknowledged", "resolved"]);

export const AlertDoc = z
  .object({
    id: EntityId,
    /** The rule that fired, e.g. "unknown-face", "watchlist", "camera-offline". */
    rule: z.string().min(1).max(100),
    severity: AlertSeverity,
    status: AlertStatus,
    message: z.string().max(2000).default(""),
    cameraId: EntityId.nullable().default(null),
    personId: EntityId.nullable().default(null),
    /** The alert kind (contracts' AlertKind), the visit (track) and the sighting that raised it, when known. */
    kind: z.string().min(1).max(100).nullable().default(null),
    trackId: EntityId.nullable().default(null),
    sightingId: z.string().min(1).max(200).nullable().default(null),
    /** Object key of the crop shown with the alert (see the portal's media routes). */
    cropKey: ObjectKey.nullable().default(null),
    at: UtcTime,
    acknowledgedBy: z.string().min(1).max(200).nullable().default(null),
    acknowledgedAt: UtcTime.nullable().default(null),
    resolvedAt: UtcTime.nullable().default(null),
    resolvedBy: z.string().min(1).max(200).nullable().default(null),
  })
  .superRefine((a, ctx) => {
    if (a.status === "acknowledged" && (a.acknowledgedBy === null || a.acknowledgedAt === null)) {
      ctx.addIssue({
        code: "custom",
        path: ["acknowledgedBy"],
        message: "an acknowledged alert says who acknowledged it and when",
      });
    }
    if (a.status === "resolved" && a.resolvedAt === null) {
      ctx.addIssue({ code: "custom", path: ["resolvedAt"], message: "a resolved alert says when" });
    }
  });
export type AlertDoc = z.infer<typeof AlertDoc>;
export type AlertInput = z.input<typeof AlertDoc>;

export const ALERTS_COLLECTION: CollectionDef = {
  name: "alerts",
  indexes: [{ fields: ["at"] }, { fields: ["status", "at"] }, { fields: ["cameraId", "at"] }, { fields: ["personId", "at"] }],
};

export interface AlertsQuery extends TimelineQuery {
  status?: z.infer<typeof AlertStatus>;
  severity?: z.infer<typeof AlertSeverity>;
  cameraId?: string;
  personId?: string;
}

export class AlertsRepository extends TimelineRepository<typeof AlertDoc, AlertsQuery> {
  static async open(store: DocumentStore): Promise<AlertsRepository> {
    return new AlertsRepository(await ValidatedCollection.open(store, ALERTS_COLLECTION, AlertDoc));
  }

  protected readonly matchFields = ["status", "severity", "cameraId", "personId"] as const;
}
