/**
 * The dashboard's recognition feed, pure: sightings, listed (GET /sightings) or pushed (`sighting`, the same view), as
 * one card model, merged newest first without duplicates (a card is keyed by the sighting id, the detection's).
 */
import { cropUrl } from "./api.ts";
import type { LiveSighting, Sighting } from "./api.gen.ts";

export interface Recognition {
  id: string;
  cameraId: string;
  personId: string;
  name: string;
  score: number;
  at: string;
  decision: "confirmed" | "probable";
  cropSrc: string | null;
}

/** A recognized sighting as a card (a pushed one may be "probable"); null for unknown sightings. */
export function fromSighting(s: Sighting | LiveSighting): Recognition | null {
  if (s.decision !== "recognized" || !s.personId) return null;
  return {
    id: s.id,
    cameraId: s.cameraId,
    personId: s.personId,
    name: s.name ?? s.personId,
    score: s.score,
    at: s.at,
    decision: "probable" in s && s.probable ? "probable" : "confirmed",
    cropSrc: s.cropKey ? cropUrl(s.cropKey) : null,
  };
}

/** `lists` concatenated (each newest first, the first list newest), the first copy of every id kept, at most `max`. */
export function mergeRecognitions(max: number, ...lists: Recognition[][]): Recognition[] {
  const seen = new Set<string>();
  const out: Recognition[] = [];
  for (const list of lists) {
    for (const r of list) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push(r);
      if (out.length >= max) return out;
    }
  }
  return out;
}

/** The presence list of every camera, by camera id. */
export function presenceByCamera<T extends { cameraId: string }>(items: T[]): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const it of items) {
    const list = out[it.cameraId] ?? [];
    list.push(it);
    out[it.cameraId] = list;
  }
  return out;
}
