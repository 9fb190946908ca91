import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";

/** Identifiers used across the system: camera ids, person ids, track ids. Safe in NATS subjects. */
export const Token = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "only letters, digits, '_' and '-' (it becomes part of a NATS subject)");

export const IsoTime = z.iso.datetime({ offset: true });

/** The fields every message on the bus carries around its data. */
export const EnvelopeBase = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: IsoTime,
  source: z.string().min(1),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
});
export type EnvelopeBase = z.infer<typeof EnvelopeBase>;

/** Builds the envelope schema of one message type. */
export function envelopeOf<TType extends string, TVersion extends number, TData extends z.ZodType>(
  type: TType,
  version: TVersion,
  data: TData,
) {
  return EnvelopeBase.extend({
    type: z.literal(type),
    version: z.literal(version),
    data,
  });
}

export interface EnvelopeMeta {
  source: string;
  correlationId?: string;
  causationId?: string | null;
  id?: string;
  occurredAt?: Date | string;
}

/** A message caused by another one keeps its correlation id and names it as the cause. */
export function causedBy(parent: { id: string; correlationId: string }, source: string): EnvelopeMeta {
  return { source, correlationId: parent.correlationId, causationId: parent.id };
}

export function newEnvelopeFields(meta: EnvelopeMeta) {
  const id = meta.id ?? randomUUID();
  const occurredAt =
    meta.occurredAt === undefined
      ? new Date().toISOString()
      : typeof meta.occurredAt === "string"
        ? meta.occurredAt
        : meta.occurredAt.toISOString();
  return { id, occurredAt, source: meta.source, correlationId: meta.correlationId ?? id, causationId: meta.causationId ?? null };
}

/**
 * A UUID (v4-shaped) derived from a string. A message whose id is derived from what caused it is published with
 * that id as msgID, so a redelivered cause re-publishes the same message and the server drops the copy.
 */
export function uuidFrom(key: string): string {
  const h = createHash("sha256").update(key).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
