import type { FaceQuality as EventQuality } from "@persona/contracts";
import type { Embedder, FaceQuality } from "@persona/vision";

/** The quality fields events carry, from the vision library's assessment. */
export function eventQuality(q: FaceQuality): EventQuality {
  return {
    score: clamp01(q.score),
    faceSize: Math.max(0, q.faceSize),
    eyeDistance: Math.max(0, q.eyeDistance),
    sharpness: Math.max(0, q.sharpness),
    yaw: q.pose.yaw,
    pitch: q.pose.pitch,
    roll: q.pose.roll,
  };
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** The model name recorded with templates: the embedder's spec name plus "+flip" when flip fusion is on. */
export function templateModelName(embedder: Embedder): string {
  return embedder.flip ? `${embedder.spec.name}+flip` : embedder.spec.name;
}
