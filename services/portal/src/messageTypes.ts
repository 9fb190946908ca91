export type { BlobRef } from "@persona/contracts";

/** Message types by group: the sightings whose inline crop the media routes read back. */
export const MessageTypes = {
  sighting: new Set(["FaceRecognized", "UnknownFaceSeen"]),
};
