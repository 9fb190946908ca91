import { createHash, randomUUID } from "node:crypto";
import type { Bus } from "@persona/bus";
import type { BlobRef, ImageRef } from "@persona/contracts";

/** Builders of the messages the cleaner's tests publish (the shapes the recognizer and camera publish). */

export const quality = { score: 0.8, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
export const inlineCrop = (tag: string): ImageRef => ({
  kind: "inline",
  contentType: "image/jpeg",
  base64: Buffer.from(`jpeg of ${tag}`).toString("base64"),
});

export async function putBlob(
  bus: Bus,
  bucket: string,
  key: string,
  bytes: Buffer,
  contentType = "image/jpeg",
): Promise<BlobRef> {
  await (await bus.objectStore(bucket)).putBlob({ name: key }, bytes);
  return { bucket, key, contentType, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

export function recognized(bus: Bus, cameraId: string, trackId: string, personId: string, frameAt: string, crop: ImageRef) {
  return bus.envelope("FaceRecognized", {
    cameraId,
    trackId,
    detectionId: randomUUID(),
    personId,
    personName: "Ann Example",
    similarity: 0.93,
    margin: 0.2,
    decision: "confirmed",
    votes: { agreeing: 2, total: 2 },
    quality,
    frameAt,
    crop,
    via: "embedding",
  });
}

export function unknown(
  bus: Bus,
  cameraId: string,
  trackId: string,
  frameAt: string,
  crop: ImageRef,
  bestPersonId: string | null = null,
) {
  return bus.envelope("UnknownFaceSeen", {
    cameraId,
    trackId,
    detectionId: randomUUID(),
    bestSimilarity: 0.4,
    bestPersonId,
    quality,
    frameAt,
    crop,
    embedding: { model: "m", dims: 2, base64: Buffer.alloc(8).toString("base64") },
  });
}

export function concluded(
  bus: Bus,
  cameraId: string,
  trackId: string,
  startedAt: string,
  endedAt: string,
  personId: string | null,
) {
  return bus.envelope("TrackConcluded", {
    cameraId,
    trackId,
    startedAt,
    endedAt,
    frames: 10,
    shots: 2,
    bestQuality: 0.8,
    outcome:
      personId === null
        ? { kind: "unknown", bestSimilarity: 0.4 }
        : { kind: "recognized", personId, personName: "Ann Example", similarity: 0.93 },
  });
}

export function alert(bus: Bus, personId: string | null, cameraId: string | null, trackId: string | null) {
  return bus.envelope("AlertRaised", {
    alertId: randomUUID(),
    rule: personId === null ? "unknown-at-perimeter" : "watchlisted",
    kind: personId === null ? "unknown-at-perimeter" : "watchlisted",
    severity: "high",
    message: "test alert",
    cameraId,
    personId,
    trackId,
    sightingId: null,
    crop: null,
  });
}
