/** The camera's events as the contracts define them, built from pipeline values. Pure. */
import {
  type AnyEnvelope,
  type DataOf,
  type EnvelopeMeta,
  type EnvelopeOf,
  MAX_INLINE_CROP_BYTES,
  type MessageType,
  type Messages,
} from "@persona/contracts";
import { type FaceQuality, keypointsToArray, qualitySummary } from "@persona/vision";
import type { z } from "zod";
import type { FaceObservation } from "./analysis.ts";
import type { CameraConfig } from "./config.ts";
import { redactSecrets } from "./sources/ffmpegArgs.ts";
import type { SourceStatus } from "./sources/types.ts";

export type FaceDetectedData = DataOf<"FaceDetected">;
export type FaceTrackEndedData = DataOf<"FaceTrackEnded">;
export type CameraStatusData = DataOf<"CameraStatusChanged">;
export type TrackEndReason = FaceTrackEndedData["reason"];

/** What publishing needs; `Bus` is one (its `envelope` validates the data against the contract). */
export interface EventBus {
  envelope<T extends MessageType>(type: T, data: z.input<Messages[T]["data"]>, meta?: Partial<EnvelopeMeta>): EnvelopeOf<T>;
  publish(env: AnyEnvelope): Promise<unknown>;
}

const finite = (v: number, fallback = 0) => (Number.isFinite(v) ? v : fallback);
const clamp01 = (v: number) => Math.min(1, Math.max(0, finite(v)));

export const iso = (ms: number) => new Date(ms).toISOString();

/** The vision package's quality in the contract's shape. */
export function contractQuality(q: FaceQuality): FaceDetectedData["quality"] {
  return qualitySummary(q);
}

export class CropTooLargeError extends Error {
  override readonly name = "CropTooLargeError";
}

export interface ShotFrame {
  frameNo: number;
  capturedAt: number;
  width: number;
  height: number;
}

/** A `FaceDetected` for one shot; the crop is the chip as JPEG, inline (it must fit MAX_INLINE_CROP_BYTES). */
export function faceDetectedData(a: {
  cameraId: string;
  trackId: string;
  shot: number;
  frame: ShotFrame;
  face: Pick<FaceObservation, "box" | "keypoints" | "score" | "quality" | "alignment">;
  jpeg: Uint8Array;
}): FaceDetectedData {
  if (a.jpeg.length > MAX_INLINE_CROP_BYTES) {
    throw new CropTooLargeError(
      `crop is ${a.jpeg.length} bytes, more than the ${MAX_INLINE_CROP_BYTES} bytes an event may carry`,
    );
  }
  const { box } = a.face;
  return {
    cameraId: a.cameraId,
    trackId: a.trackId,
    shot: a.shot,
    frameNo: a.frame.frameNo,
    frameAt: iso(a.frame.capturedAt),
    frameSize: { width: a.frame.width, height: a.frame.height },
    box: { x: finite(box.x), y: finite(box.y), width: Math.max(0, finite(box.width)), height: Math.max(0, finite(box.height)) },
    keypoints: keypointsToArray(a.face.keypoints).map((p) => [finite(p.x), finite(p.y)] as [number, number]),
    detectorScore: clamp01(a.face.score),
    quality: contractQuality(a.face.quality),
    crop: { kind: "inline", contentType: "image/jpeg", base64: Buffer.from(a.jpeg).toString("base64") },
    ...(a.face.alignment ? { alignment: a.face.alignment } : {}),
  };
}

export function trackEndedData(a: {
  cameraId: string;
  trackId: string;
  startedAt: number;
  endedAt: number;
  frames: number;
  shots: number;
  bestQuality: number;
  reason: TrackEndReason;
}): FaceTrackEndedData {
  return {
    cameraId: a.cameraId,
    trackId: a.trackId,
    startedAt: iso(a.startedAt),
    endedAt: iso(Math.max(a.startedAt, a.endedAt)),
    frames: a.frames,
    shots: a.shots,
    bestQuality: clamp01(a.bestQuality),
    reason: a.reason,
  };
}

export function cameraStatusData(camera: Pick<CameraConfig, "id" | "role" | "source">, status: SourceStatus): CameraStatusData {
  return {
    cameraId: camera.id,
    role: camera.role,
    status: status.state,
    message: status.message,
    attempt: status.attempt,
    source: redactSecrets(camera.source),
  };
}
