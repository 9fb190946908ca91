export type { BlobRef } from "@persona/contracts";

/** Message types the portal pushes to the console (socket.io event name = type), by group. */
export const MessageTypes = {
  sighting: new Set(["FaceRecognized", "UnknownFaceSeen"]),
  pushed: new Set([
    "FaceRecognized",
    "UnknownFaceSeen",
    "TrackConcluded",
    "AlertRaised",
    "AlertAcknowledged",
    "AlertResolved",
    "CameraStatusChanged",
    "GreetingPlayed",
    "PersonEnrolled",
    "PersonUpdated",
    "PersonRemoved",
  ]),
};
