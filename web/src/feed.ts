/**
 * The dashboard's recognition feed, pure: sightings (REST) and FaceRecognized envelopes (push) as one card model,
 * merged newest first without duplicates (a card is keyed by the detection id, which is also the sighting id).
 */
import { type Sighting, cropUrl } from "./api.ts";

/** An image on an event: inline JPEG (base64) or a stored object. */
export type ImageRef =
  | { kind: "inline"; contentType: string; base64: string }
  | { kind: "stored"; ref: { bucket: string; key: string; contentType: string } };

/** An <img> source for an event's image, or null. */
export function imageSrc(img: ImageRef | null | undefined, urlOfKey: (key: string) => string = cropUrl): string | null {
  if (!img) return null;
  if (img.kind === "inline") return `data:${img.contentType};base64,${img.base64}`;
  return urlOfKey(img.ref.key);
}

export interface FaceRecognizedData {
  cameraId: string;
  trackId: string;
  detectionId: string;
  personId: string;
  personName: string;
  similarity: number;
  decision: "confirmed" | "probable";
  frameAt: string;
  crop?: ImageRef | null;
  cropKey?: string | null;
}

export interface Recognition {
  id: string;
  cameraId: string;
  personId: string;
  name: string;
  score: number;
  at: string;
  decision: string;
  cropSrc: string | null;
}

/** A recognized sighting as a card; null for unknown sightings. */
export function fromSighting(s: Sighting): Recognition | null {
  if (s.decision !== "recognized" || !s.personId) return null;
  return {
    id: s.id,
    cameraId: s.cameraId,
    personId: s.personId,
    name: s.name ?? s.personId,
    score: s.score,
    at: s.at,
    decision: "confirmed",
    cropSrc: s.cropKey ? cropUrl(s.cropKey) : null,
  };
}

export function fromEvent(e: { occurredAt: string; data: FaceRecognizedData }): Recognition {
  const d = e.data;
  return {
    id: d.detectionId,
    cameraId: d.cameraId,
    personId: d.personId,
    name: d.personName,
    score: d.similarity,
    at: d.frameAt ?? e.occurredAt,
    decision: d.decision,
    cropSrc: d.cropKey ? cropUrl(d.cropKey) : imageSrc(d.crop),
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
