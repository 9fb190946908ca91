import type { EnvelopeOf } from "@persona/contracts";
import type { SightingDoc } from "@persona/store";
import type { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { LiveSighting, Sighting } from "../http/schemas.ts";
import { cropKeyOf } from "../media.ts";
import { cropLocator } from "../projections/sightings.ts";

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

/**
 * A sighting as GET /sightings shows it, from its FaceRecognized / UnknownFaceSeen at stream sequence `seq` (what the
 * sightings projection stores for it): the live push's `sighting`. `name` is the name the recognizer gave (the list
 * reads the person's current one), `probable` what the list does not keep.
 */
export function sightingOfEvent(
  env: EnvelopeOf<"FaceRecognized"> | EnvelopeOf<"UnknownFaceSeen">,
  seq: number,
): z.infer<typeof LiveSighting> {
  const d = env.data;
  const common = {
    id: d.detectionId,
    cameraId: d.cameraId,
    trackId: d.trackId,
    at: d.frameAt,
    cropKey: cropKeyOf(d.detectionId, cropLocator(d.crop, seq)),
  };
  return env.type === "FaceRecognized"
    ? {
        ...common,
        personId: env.data.personId,
        name: env.data.personName,
        decision: "recognized",
        score: env.data.similarity,
        probable: env.data.decision === "probable",
      }
    : { ...common, personId: null, name: null, decision: "unknown", score: env.data.bestSimilarity, probable: false };
}
