import type { ImageRef } from "@persona/contracts";
import type { WriteOp } from "@persona/store";
import type { Projection } from "./projection.ts";
import { trackKey } from "./readModels.ts";

/**
 * Sightings history (SIGHTINGS stream): exactly one record per detection outcome, keyed by `detectionId`, from
 * FaceRecognized (with the recognizer's decision: confirmed or probable) and UnknownFaceSeen; and how each track was
 * concluded (TrackConcluded, in `sighting_tracks`), which the list shows beside each shot of the track.
 *
 * The crop's bytes never go into the database. `cropId` is a locator:
 * - `obj:<bucket>/<key>` when the event refers to a crop in the Object Store;
 * - `msg:SIGHTINGS/<seq>` when the crop rode inline on the event: the bytes stay in the SIGHTINGS message (kept
 *   30 days, like the sightings), which the portal reads back with a direct get of that sequence. Nothing is copied,
 *   and a rebuild gives the same locators, as stream sequences never change.
 */

export type SightingsEventType = "FaceRecognized" | "UnknownFaceSeen" | "TrackConcluded";

export function cropLocator(crop: ImageRef, seq: number): string {
  return crop.kind === "stored" ? `obj:${crop.ref.bucket}/${crop.ref.key}` : `msg:SIGHTINGS/${seq}`;
}

export type CropLocation =
  | { kind: "object"; bucket: string; key: string }
  | { kind: "message"; stream: "SIGHTINGS"; seq: number };

/** Reads a `cropId` back; null for anything else. */
export function parseCropLocator(cropId: string): CropLocation | null {
  const obj = /^obj:([a-z0-9-]+)\/(.+)$/.exec(cropId);
  if (obj) return { kind: "object", bucket: obj[1] as string, key: obj[2] as string };
  const msg = /^msg:SIGHTINGS\/([1-9][0-9]*)$/.exec(cropId);
  if (msg) return { kind: "message", stream: "SIGHTINGS", seq: Number(msg[1]) };
  return null;
}

export const sightingsProjection = {
  name: "sightings",
  collections: ["sightings", "sighting_tracks", "unknown_tracks"],
  handlers: {
    async FaceRecognized(env, { models, seq }) {
      const d = env.data;
      return [
        models.sightings.putOp({
          id: d.detectionId,
          cameraId: d.cameraId,
          trackId: d.trackId,
          personId: d.personId,
          kind: "recognized",
          decision: d.decision,
          similarity: d.similarity,
          at: d.frameAt,
          cropId: cropLocator(d.crop, seq),
        }),
      ];
    },
    async UnknownFaceSeen(env, { models, seq }) {
      const d = env.data;
      const key = trackKey(d.cameraId, d.trackId);
      const ops: WriteOp[] = [];
      // a shot already kept (the handler run again) is not counted twice
      if (!(await models.sightings.get(d.detectionId))) {
        const prev = await models.unknownTracks.get(key);
        const quality = d.quality.score;
        const at = Date.parse(d.frameAt);
        const shot = { sightingId: d.detectionId, quality, at: d.frameAt };
        const near = d.bestPersonId === null ? null : { personId: d.bestPersonId, similarity: d.bestSimilarity };
        ops.push(
          models.unknownTracks.putOp({
            id: key,
            cameraId: d.cameraId,
            trackId: d.trackId,
            shots: (prev?.shots ?? 0) + 1,
            firstSeen: prev && Date.parse(prev.firstSeen) < at ? prev.firstSeen : d.frameAt,
            lastSeen: prev && Date.parse(prev.lastSeen) > at ? prev.lastSeen : d.frameAt,
            best: prev && prev.best.quality >= quality ? prev.best : shot,
            nearest: prev?.nearest && (near === null || prev.nearest.similarity >= near.similarity) ? prev.nearest : near,
          }),
        );
      }
      return [
        ...ops,
        models.sightings.putOp({
          id: d.detectionId,
          cameraId: d.cameraId,
          trackId: d.trackId,
          personId: null,
          kind: "unknown",
          similarity: d.bestSimilarity,
          at: d.frameAt,
          cropId: cropLocator(d.crop, seq),
        }),
      ];
    },
    async TrackConcluded(env, { models }) {
      const d = env.data;
      const o = d.outcome;
      return [
        models.trackConclusions.putOp({
          id: trackKey(d.cameraId, d.trackId),
          cameraId: d.cameraId,
          trackId: d.trackId,
          outcome: o.kind,
          personId: o.kind === "recognized" ? o.personId : null,
          similarity: o.kind === "recognized" ? o.similarity : o.kind === "unknown" ? o.bestSimilarity : null,
          endedAt: d.endedAt,
        }),
      ];
    },
  },
} satisfies Projection<SightingsEventType>;
