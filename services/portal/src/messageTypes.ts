export type { BlobRef } from "@persona/contracts";

/** Message types the portal pushes to the console (socket.io event name = type), by group. */
export const MessageTypes = {
  sighting: new Set(["FaceRecognized", "UnknownFaceSeen"]),
  /** Visitor events: pushed as `visitor` (the read model's view), not as themselves. */
  visitor: new Set(["VisitorClustered", "VisitorUpdated", "VisitorNamed", "VisitorIgnored"]),
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
