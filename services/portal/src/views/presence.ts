import type { z } from "zod";
import type { CameraDirectory } from "../cameras.ts";
import type { PresenceItem } from "../http/schemas.ts";
import type { ReadModels } from "../projections/readModels.ts";

/**
 * Who is in view now. A track whose camera changed status after its last sighting (stopped, reconnected, restarted)
 * is over even if its end never arrived (the camera was killed before it could say so): the camera ends every track
 * with the picture, so such an entry is a ghost and is left out.
 */
export async function presenceItems(
  models: ReadModels,
  cameraId?: string,
  cameras?: Pick<CameraDirectory, "cameras">,
): Promise<z.infer<typeof PresenceItem>[]> {
  const docs = await models.presence.inView(cameraId === undefined ? {} : { cameraId });
  const names = new Map<string, string | null>();
  const out: z.infer<typeof PresenceItem>[] = [];
  for (const d of docs) {
    const cam = cameras?.cameras.get(d.cameraId);
    if (cam && cam.lastChangeAt > new Date(d.lastSeenAt).toISOString()) continue;
    let name: string | null = null;
    if (d.personId !== null) {
      if (!names.has(d.personId)) names.set(d.personId, (await models.people.get(d.personId))?.name ?? null);
      name = names.get(d.personId) ?? null;
    }
    out.push({
      cameraId: d.cameraId,
      personId: d.personId,
      name,
      trackId: d.trackId,
      since: d.enteredAt,
      lastSeen: d.lastSeenAt,
    });
  }
  return out;
}
