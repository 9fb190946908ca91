import type { EnvelopeOf } from "@persona/contracts";
import type { SightingDoc } from "@persona/store";
import type { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { LiveSighting, Sighting, TrackConclusion } from "../http/schemas.ts";
import { cropKeyOf } from "../media.ts";
import { type TrackConclusionDoc, trackKey } from "../projections/readModels.ts";
import { cropLocator } from "../projections/sightings.ts";

type Names = Map<string, string | null>;
/** What the sightings views read: the read models (the routes' context and the live push have them). */
type Models = Pick<PortalContext, "models">;

async function nameOf(c: Models, names: Names, personId: string): Promise<string | null> {
  if (!names.has(personId)) names.set(personId, (await c.models.people.get(personId))?.name ?? null);
  return names.get(personId) ?? null;
}

/** The conclusions of the tracks of `sightings` that have one, by `trackKey`. */
export async function conclusionsOf(
  c: Models,
  sightings: { cameraId: string; trackId: string }[],
): Promise<Map<string, TrackConclusionDoc>> {
  const keys = [...new Set(sightings.map((s) => trackKey(s.cameraId, s.trackId)))];
  const out = new Map<string, TrackConclusionDoc>();
  for (let i = 0; i < keys.length; i += 500) {
    for (const d of await c.models.trackConclusions.find({ id: { $in: keys.slice(i, i + 500) } })) out.set(d.id, d);
  }
  return out;
}

async function concludedOf(
  c: Models,
  names: Names,
  d: TrackConclusionDoc | undefined,
): Promise<z.infer<typeof TrackConclusion> | null> {
  if (!d) return null;
  return {
    outcome: d.outcome,
    personId: d.personId,
    name: d.personId === null ? null : await nameOf(c, names, d.personId),
    score: d.similarity,
    endedAt: d.endedAt,
  };
}

/** The recognizer's decision on one shot; a recognition kept before decisions were is taken as confirmed. */
export function recognitionOf(s: Pick<SightingDoc, "kind" | "decision">): "confirmed" | "probable" | "unknown" {
  return s.kind === "unknown" ? "unknown" : (s.decision ?? "confirmed");
}

/** Sightings with the person's current name, the recognizer's decision and the track's conclusion once known. */
export async function sightingsOf(c: Models, docs: SightingDoc[]) {
  const names: Names = new Map();
  const conclusions = await conclusionsOf(c, docs);
  const out: z.infer<typeof Sighting>[] = [];
  for (const s of docs) {
    out.push({
      id: s.id,
      cameraId: s.cameraId,
      trackId: s.trackId,
      personId: s.personId,
      name: s.personId === null ? null : await nameOf(c, names, s.personId),
      decision: s.kind,
      recognition: recognitionOf(s),
      concluded: await concludedOf(c, names, conclusions.get(trackKey(s.cameraId, s.trackId))),
      score: s.similarity,
      at: s.at,
      cropKey: cropKeyOf(s.id, s.cropId),
    });
  }
  return out;
}

/** A listed sighting as the live push sends it (`probable` for consoles that read only that). */
export function liveSightingOf(s: z.infer<typeof Sighting>): z.infer<typeof LiveSighting> {
  return { ...s, probable: s.recognition === "probable" };
}

/**
 * A sighting as GET /sightings shows it, from its FaceRecognized / UnknownFaceSeen at stream sequence `seq` (what the
 * sightings projection stores for it): the live push's `sighting`. `name` is the name the recognizer gave (the list
 * reads the person's current one); `concluded` the track's conclusion when it came first (recognizer replicas run in
 * parallel), else null.
 */
export async function sightingOfEvent(
  c: Models,
  env: EnvelopeOf<"FaceRecognized"> | EnvelopeOf<"UnknownFaceSeen">,
  seq: number,
): Promise<z.infer<typeof LiveSighting>> {
  const d = env.data;
  const conclusion = (await conclusionsOf(c, [d])).get(trackKey(d.cameraId, d.trackId));
  const common = {
    id: d.detectionId,
    cameraId: d.cameraId,
    trackId: d.trackId,
    at: d.frameAt,
    cropKey: cropKeyOf(d.detectionId, cropLocator(d.crop, seq)),
    concluded: await concludedOf(c, new Map(), conclusion),
  };
  return env.type === "FaceRecognized"
    ? {
        ...common,
        personId: env.data.personId,
        name: env.data.personName,
        decision: "recognized",
        recognition: env.data.decision,
        score: env.data.similarity,
        probable: env.data.decision === "probable",
      }
    : {
        ...common,
        personId: null,
        name: null,
        decision: "unknown",
        recognition: "unknown",
        score: env.data.bestSimilarity,
        probable: false,
      };
}
