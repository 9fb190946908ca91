/**
 * The dashboard's recognition feed, pure: sightings, listed (GET /sightings) or pushed (`sighting`, the same view), as
 * one card model, merged newest first without duplicates (a card is keyed by the sighting id, the detection's), each
 * confirmed or probable as the recognizer decided (a listed sighting as much as a pushed one, so a reload shows the same).
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
  /** As the recognizer decided: the track's conclusion once known, else the shot's own decision. */
  decision: "confirmed" | "probable";
  /** The track was concluded as this person (the vote over all its shots), not only this shot. */
  concluded: boolean;
  cropSrc: string | null;
}

export type Verdict = "confirmed" | "probable" | "unknown";

/**
 * What the recognizer decided about a sighting: the track's conclusion once it is known (concluded as this person:
 * confirmed; as a stranger, someone else or undecided-unknown: unknown), else the shot's own decision ("confirmed"
 * passed the naming threshold and the track vote, "probable" only the looser threshold).
 */
export function verdictOf(s: Sighting | LiveSighting): Verdict {
  if (s.decision !== "recognized" || !s.personId) return "unknown";
  const t = s.concluded;
  if (t?.outcome === "recognized") return t.personId === s.personId ? "confirmed" : "unknown";
  if (t?.outcome === "unknown") return "unknown";
  if (s.recognition === "unknown") return "unknown";
  return s.recognition === "probable" || ("probable" in s && s.probable) ? "probable" : "confirmed";
}

/** A recognized sighting as a card, confirmed or probable; null for an unknown face (or a track concluded a stranger). */
export function fromSighting(s: Sighting | LiveSighting): Recognition | null {
  const verdict = verdictOf(s);
  if (verdict === "unknown" || !s.personId) return null;
  return {
    id: s.id,
    cameraId: s.cameraId,
    personId: s.personId,
    name: s.name ?? s.personId,
    score: s.score,
    at: s.at,
    decision: verdict,
    concluded: s.concluded?.outcome === "recognized",
    cropSrc: s.cropKey ? cropUrl(s.cropKey) : null,
  };
}

/**
 * A pushed sighting applied to the feed: a new recognition goes first; one already listed (pushed again once its
 * track is concluded) is replaced where it is, or leaves when the track turned out a stranger's.
 */
export function applySighting(max: number, list: Recognition[], s: Sighting | LiveSighting): Recognition[] {
  const r = fromSighting(s);
  if (list.some((x) => x.id === s.id)) {
    return r ? list.map((x) => (x.id === s.id ? r : x)) : list.filter((x) => x.id !== s.id);
  }
  return r ? mergeRecognitions(max, [r], list) : list;
}

/** The dashboard's headline: the newest confirmed recognition (never a probable one); null when there is none. */
export function headlineOf(list: Recognition[]): Recognition | null {
  return list.find((r) => r.decision === "confirmed") ?? null;
}

/** The cards in the order the dashboard shows them: the headline first, then the others newest first. */
export function dashboardOrder(list: Recognition[]): Recognition[] {
  const h = headlineOf(list);
  return h ? [h, ...list.filter((r) => r !== h)] : list;
}

/**
 * What a score means, for a label and its tooltip. The sightings carry no threshold, so the score is named for what
 * it is (a similarity, not a probability) and the decision says which threshold it passed.
 */
export function scoreLabel(score: number, threshold?: number | null): { text: string; title: string } {
  const text =
    threshold === undefined || threshold === null
      ? `similarity ${score.toFixed(2)}`
      : `similarity ${score.toFixed(2)} (names at ≥ ${threshold.toFixed(2)})`;
  return {
    text,
    title:
      "Cosine similarity of the captured face to the closest enrolled face (1 = the same picture); not a probability. " +
      "Confirmed: it passed the recognizer's naming threshold and the track's vote; probable: only the looser threshold.",
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
