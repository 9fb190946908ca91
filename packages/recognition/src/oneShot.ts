/**
 * One photo decided as the recognizers decide a track that ended after one shot, pure: the shot is voted with
 * `addShot` on a fresh track, the track is ended, and `decideTrack` says whether it is named (a single-shot track
 * is named at `singleShotThreshold`, with the margin). Otherwise the shot's own outcome says "probable" (at
 * `probableThreshold`, with the margin) or "unknown". The portal's search by photo answers with this, so an
 * operator sees what the recognizer would do with the face.
 */
import { type Match, type VoteOptions, addShot, decideTrack, newTrackState } from "./trackVote.ts";

export type OneShotDecision =
  | { decision: "named" | "probable"; personId: string; name: string; similarity: number; margin: number }
  | { decision: "unknown"; personId: null; name: null; similarity: number | null; margin: number | null };

/** How a face seen once (best match `best`, null for an empty gallery) is decided with the vote options `o`. */
export function decideOneShot(best: Match | null, o: VoteOptions): OneShotDecision {
  const s = newTrackState("photo", "photo");
  const shot = addShot(s, "shot", { best }, o);
  s.ended = { startedAt: "", endedAt: "", frames: 1, shots: 1, bestQuality: 0 };
  const track = decideTrack(s, o);
  if (best && track.kind === "recognized" && track.personId === best.personId)
    return { decision: "named", personId: best.personId, name: best.name, similarity: best.similarity, margin: best.margin };
  if (best && shot.kind === "recognized" && shot.personId === best.personId)
    return { decision: "probable", personId: best.personId, name: best.name, similarity: best.similarity, margin: best.margin };
  return { decision: "unknown", personId: null, name: null, similarity: best?.similarity ?? null, margin: best?.margin ?? null };
}
