import { Token } from "./envelope.ts";

/**
 * Trial cameras: the throwaway cameras of `persona watch` (without `--record`) that run against a live site to show
 * what the recognizer concludes, and must leave no record there. Their camera ids carry a reserved prefix, so every
 * event they cause is marked without a field of its own: the camera's FaceDetected, FaceTrackEnded and
 * CameraStatusChanged, and the recognizer's FaceRecognized, UnknownFaceSeen and TrackConcluded all carry the
 * `cameraId`. Each consumer that records (the portal's projections and alert rules, the trainer's gallery growth,
 * visitors and crop bank, the greeter) skips them with `isTrialEvent` in one place; the recognizer still answers them
 * (that is the point of a trial), and the portal's camera directory forgets a trial camera once it ends.
 *
 * The prefix is reserved: a site's configured camera may not start with it (the camera service refuses it).
 */
export const TRIAL_CAMERA_PREFIX = "_watch-";

/** Whether a camera id is a trial camera's (null and undefined, e.g. an alert with no camera, are not). */
export function isTrialCamera(cameraId: string | null | undefined): boolean {
  return typeof cameraId === "string" && cameraId.startsWith(TRIAL_CAMERA_PREFIX);
}

/**
 * Whether an envelope belongs to a trial camera: its data's `cameraId` is a trial camera's. Events with no camera
 * (library, visitors, retention) never are.
 */
export function isTrialEvent(env: { data: unknown }): boolean {
  const d = env.data as { cameraId?: unknown } | null;
  return typeof d === "object" && d !== null && typeof d.cameraId === "string" && isTrialCamera(d.cameraId);
}

/** The trial camera id for `name` (a camera id itself); throws when the result is not a valid camera id. */
export function trialCameraId(name: string): string {
  const id = isTrialCamera(name) ? name : `${TRIAL_CAMERA_PREFIX}${name}`;
  return Token.parse(id);
}
