import type { AlertDoc } from "@persona/store";
import type { z } from "zod";
import type { Alert } from "../http/schemas.ts";

/** An alert as the API shows it (GET /alerts, the ack and resolve answers) and the live push sends it (`alert`). */
export function alertOf(a: AlertDoc): z.infer<typeof Alert> {
  return {
    alertId: a.id,
    kind: a.kind ?? a.rule,
    severity: a.severity,
    cameraId: a.cameraId,
    personId: a.personId,
    trackId: a.trackId,
    message: a.message,
    cropKey: a.cropKey,
    raisedAt: a.at,
    status: a.status === "raised" ? "open" : a.status,
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAt: a.acknowledgedAt,
    resolvedAt: a.resolvedAt,
  };
}
