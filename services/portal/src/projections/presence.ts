import { presenceId, type WriteOp } from "@persona/store";
import type { Projection, ProjectionContext } from "./projection.ts";

/**
 * Presence (SIGHTINGS stream): who is in view on each camera now, one document per camera and track. A track
 * enters on its first recognition (FaceRecognized, named) or unknown face (UnknownFaceSeen, personId null) and
 * leaves on TrackConcluded. A named track stays named when a later shot is unknown; a "confirmed" name is not
 * replaced by a "probable" one. A concluded track is remembered for an hour of event time so that a recognition
 * arriving after its conclusion (recognizer replicas run in parallel) does not bring it back.
 */

export type PresenceEventType = "FaceRecognized" | "UnknownFaceSeen" | "TrackConcluded";

/** How long (event time) a concluded track is remembered. */
export const CONCLUDED_TRACK_TTL_MS = 60 * 60 * 1000;

const iso = (t: string) => new Date(t).toISOString();
const min = (a: string, b: string) => (a < b ? a : b);
const max = (a: string, b: string) => (a > b ? a : b);

async function seen(
  ctx: ProjectionContext,
  d: { cameraId: string; trackId: string; frameAt: string },
  personId: string | null,
  namesTrack: "confirmed" | "probable" | "unknown",
): Promise<WriteOp[]> {
  const { models } = ctx;
  const id = presenceId(d.cameraId, d.trackId);
  if ((await models.concludedTracks.get(id)) !== undefined) return [];
  const existing = await models.presence.get(d.cameraId, d.trackId);
  const at = iso(d.frameAt);
  const keepName = existing?.personId != null && (namesTrack === "unknown" || namesTrack === "probable");
  return [
    models.presence.putOp({
      id,
      cameraId: d.cameraId,
      trackId: d.trackId,
      personId: keepName ? (existing?.personId ?? null) : (personId ?? existing?.personId ?? null),
      enteredAt: existing === undefined ? at : min(existing.enteredAt, at),
      lastSeenAt: existing === undefined ? at : max(existing.lastSeenAt, at),
    }),
  ];
}

export const presenceProjection = {
  name: "presence",
  collections: ["presence", "presence_concluded"],
  handlers: {
    async FaceRecognized(env, ctx) {
      return seen(ctx, env.data, env.data.personId, env.data.decision);
    },
    async UnknownFaceSeen(env, ctx) {
      return seen(ctx, env.data, null, "unknown");
    },
    async TrackConcluded(env, { models }) {
      const d = env.data;
      const endedAt = iso(d.endedAt);
      const forgetBefore = new Date(Date.parse(endedAt) - CONCLUDED_TRACK_TTL_MS).toISOString();
      return [
        models.presence.leaveOp(d.cameraId, d.trackId),
        models.concludedTracks.putOp({
          id: presenceId(d.cameraId, d.trackId),
          cameraId: d.cameraId,
          trackId: d.trackId,
          endedAt,
        }),
        models.concludedTracks.deleteManyOp({ endedAt: { $lt: forgetBefore } }),
      ];
    },
  },
} satisfies Projection<PresenceEventType>;
