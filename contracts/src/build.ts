import type { z } from "zod";
import { type EnvelopeMeta, newEnvelopeFields } from "./envelope.ts";
import { type EnvelopeOf, type MessageType, Messages } from "./messages.ts";

/** Builds and validates an envelope of the given type. Throws a ZodError on invalid data. */
export function makeEnvelope<T extends MessageType>(
  type: T,
  data: z.input<Messages[T]["data"]>,
  meta: EnvelopeMeta,
): EnvelopeOf<T> {
  const def = Messages[type];
  const candidate = { ...newEnvelopeFields(meta), type, version: def.version, data };
  return def.envelope.parse(candidate) as EnvelopeOf<T>;
}

/** The NATS subject of an envelope. */
export function subjectOf<T extends MessageType>(env: EnvelopeOf<T>): string {
  const def = Messages[env.type as T];
  return (def.subject as (d: unknown) => string)(env.data);
}
