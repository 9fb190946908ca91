import type { AnyEnvelope, BlobRef, ImageRef } from "@persona/contracts";

/**
 * Which messages speak of a person, for erasure. Pure: no I/O.
 *
 * A track is erased whole when any of its messages names the person (a FaceRecognized of them, an UnknownFaceSeen
 * whose nearest match was them, a TrackConcluded naming them): the track's unknown shots are crops of the same face.
 */

export const trackKey = (cameraId: string, trackId: string) => `${cameraId}/${trackId}`;

/** The track a SIGHTINGS message belongs to, and whether it names the person. */
export function sightingOf(env: AnyEnvelope, personId: string): { track: string; names: boolean } | null {
  switch (env.type) {
    case "FaceRecognized":
      return { track: trackKey(env.data.cameraId, env.data.trackId), names: env.data.personId === personId };
    case "UnknownFaceSeen":
      return { track: trackKey(env.data.cameraId, env.data.trackId), names: env.data.bestPersonId === personId };
    case "TrackConcluded":
      return {
        track: trackKey(env.data.cameraId, env.data.trackId),
        names: env.data.outcome.kind === "recognized" && env.data.outcome.personId === personId,
      };
    default:
      return null;
  }
}

/** The alert an ALERTS message is about, and whether it names the person or one of their tracks. */
export function alertOf(
  env: AnyEnvelope,
  personId: string,
  tracks: ReadonlySet<string>,
): { alertId: string; names: boolean } | null {
  switch (env.type) {
    case "AlertRaised": {
      const d = env.data;
      const onTrack = d.cameraId !== null && d.trackId !== null && tracks.has(trackKey(d.cameraId, d.trackId));
      return { alertId: d.alertId, names: d.personId === personId || onTrack };
    }
    case "AlertAcknowledged":
    case "AlertResolved":
      return { alertId: env.data.alertId, names: false };
    default:
      return null;
  }
}

/** A SYSTEM message naming the person (their greetings; the erasure audit itself is kept). */
export function systemNames(env: AnyEnvelope, personId: string): boolean {
  return env.type === "GreetingPlayed" && env.data.personId === personId;
}

/** A pending command about the person (an enrollment or removal not yet handled). */
export function commandNames(env: AnyEnvelope, personId: string): boolean {
  return (env.type === "EnrollPerson" || env.type === "RemovePerson") && env.data.personId === personId;
}

/** A library rejection about the person (it carries the name they were enrolled under). */
export function rejectionNames(env: AnyEnvelope, personId: string): boolean {
  return env.type === "EnrollmentRejected" && env.data.personId === personId;
}

/**
 * Whether a JSON text (a dead letter's payload, a track vote) holds the person's id as a string value or key.
 * Person ids are tokens ([A-Za-z0-9_-]), so the quoted id cannot occur split or escaped.
 */
export function jsonMentions(text: string, personId: string): boolean {
  return text.includes(`"${personId}"`);
}

/** Object Store blobs an envelope points to (photos, sounds, stored crops). */
export function blobsOf(env: AnyEnvelope): BlobRef[] {
  const out: BlobRef[] = [];
  const image = (i: ImageRef | null) => {
    if (i?.kind === "stored") out.push(i.ref);
  };
  switch (env.type) {
    case "PersonEnrolled":
      out.push(...env.data.photos);
      if (env.data.sound) out.push(env.data.sound);
      break;
    case "PersonUpdated":
      out.push(...(env.data.photos ?? []));
      if (env.data.sound) out.push(env.data.sound);
      break;
    case "FaceTemplateAdded":
      image(env.data.crop);
      if (env.data.origin.kind === "enrollment") out.push(env.data.origin.photo);
      break;
    case "EnrollPerson":
      out.push(...env.data.photos);
      if (env.data.sound) out.push(env.data.sound);
      break;
    case "FaceRecognized":
    case "UnknownFaceSeen":
    case "FaceDetected":
      image(env.data.crop);
      break;
    case "AlertRaised":
      image(env.data.crop);
      break;
    default:
      break;
  }
  return out;
}
