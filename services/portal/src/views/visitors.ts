import type { z } from "zod";
import type { Visitor } from "../http/schemas.ts";
import { visitorCropKeyOf } from "../media.ts";
import type { VisitorDoc } from "../projections/readModels.ts";

/** A visitor as the API shows it (GET /visitors/:id) and the live push sends it (`visitor`). */
export function visitorOf(v: VisitorDoc): z.infer<typeof Visitor> {
  return {
    visitorId: v.id,
    status: v.status,
    faces: v.faces,
    visits: v.visits,
    firstSeen: v.firstSeen,
    lastSeen: v.lastSeen,
    cameras: v.cameras,
    bestCrops: v.bestCrops.map((c) => ({
      detectionId: c.detectionId,
      cameraId: c.cameraId,
      trackId: c.trackId,
      quality: c.quality,
      seenAt: c.seenAt,
      cropKey: visitorCropKeyOf(v.id, c.detectionId, c.cropId),
    })),
    absorbed: v.absorbed,
    decision: v.decision,
    clusteredAt: v.clusteredAt,
    updatedAt: v.updatedAt,
  };
}
