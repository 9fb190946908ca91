import type { EnvelopeOf } from "@persona/contracts";
import { shaNamedIn } from "@persona/library";
import type { Reason } from "./folder.ts";

/**
 * Photos the recognizer rejected, remembered from `EnrollmentRejected` events so that importing a folder again does
 * not send the same unusable photo every time. The event names the photo in its message; its object key
 * (`<personId>/<sha256>.<ext>`) carries the sha256, which is what is remembered. A rejection whose message names no
 * sha256 is not remembered (the photo is simply sent again next time).
 */
export type RejectionMemory = Map<string, Map<string, Reason>>;

export function noteRejection(memory: RejectionMemory, env: EnvelopeOf<"EnrollmentRejected">): void {
  const { personId, reason, message } = env.data;
  if (personId === null) return;
  // a rejection of the whole request is about the request, not about a photo
  if (reason === "invalid-request" || reason === "unknown-person") return;
  const sha = shaNamedIn(message);
  if (sha === null) return;
  let forPerson = memory.get(personId);
  if (forPerson === undefined) {
    forPerson = new Map();
    memory.set(personId, forPerson);
  }
  forPerson.set(sha, { code: reason, message });
}
