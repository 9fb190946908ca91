import type { SightingDoc } from "@persona/store";
import type { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Sighting } from "../http/schemas.ts";
import { cropKeyOf } from "../media.ts";

/** Sightings with the person's current name. */
export async function sightingsOf(c: PortalContext, docs: SightingDoc[]) {
  const names = new Map<string, string | null>();
  const out: z.infer<typeof Sighting>[] = [];
  for (const s of docs) {
    let name: string | null = null;
    if (s.personId !== null) {
      if (!names.has(s.personId)) names.set(s.personId, (await c.models.people.get(s.personId))?.name ?? null);
      name = names.get(s.personId) ?? null;
    }
    out.push({
      id: s.id,
      cameraId: s.cameraId,
      trackId: s.trackId,
      personId: s.personId,
      name,
      decision: s.kind,
      score: s.similarity,
      at: s.at,
      cropKey: cropKeyOf(s.id, s.cropId),
    });
  }
  return out;
}
