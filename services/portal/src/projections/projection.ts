import type { EnvelopeOf, MessageType } from "@persona/contracts";
import type { ApplyResult, DocumentStore, WriteOp } from "@persona/store";
import type { ReadModels } from "./readModels.ts";

/**
 * A projection: a name (its checkpoint and applied-event records in the store) and one handler per event type it
 * takes. A handler reads what it needs and returns the writes; `applyProjection` applies them with
 * `store.applyOnce(name, { eventId, seq }, ops)`, so an event is applied at most once and never below the
 * projection's checkpoint. Handlers are also idempotent by themselves (re-applying an event's writes changes
 * nothing), which the tests check for every event case.
 */

export interface ProjectionContext {
  /** The event's stream sequence. */
  seq: number;
  models: ReadModels;
  /** IANA time zone of attendance days. */
  timeZone: string;
}

export type ProjectionHandler<K extends MessageType> = (env: EnvelopeOf<K>, ctx: ProjectionContext) => Promise<WriteOp[]>;

export type ProjectionHandlers<T extends MessageType> = { [K in T]: ProjectionHandler<K> };

export interface Projection<T extends MessageType> {
  name: string;
  /** The store collections this projection owns (cleared by a rebuild). */
  collections: readonly string[];
  handlers: ProjectionHandlers<T>;
}

/** Any projection, whatever event types it takes (what the runner and the rebuild hold). */
export interface AnyProjection {
  name: string;
  collections: readonly string[];
  handlers: Partial<ProjectionHandlers<MessageType>>;
}

export function takes(projection: AnyProjection, type: MessageType): boolean {
  return Object.hasOwn(projection.handlers, type);
}

/** The writes of one event for one projection ([] for event types it does not take). */
export async function projectionOps(
  projection: AnyProjection,
  env: EnvelopeOf<MessageType>,
  ctx: ProjectionContext,
): Promise<WriteOp[]> {
  const handler = projection.handlers[env.type] as ProjectionHandler<MessageType> | undefined;
  return handler === undefined ? [] : handler(env, ctx);
}

/** Applies one event to one projection (a no-op "skipped" for event types it does not take). */
export async function applyProjection(
  store: DocumentStore,
  projection: AnyProjection,
  env: EnvelopeOf<MessageType>,
  ctx: ProjectionContext,
): Promise<ApplyResult> {
  if (!takes(projection, env.type)) return "skipped";
  const ops = await projectionOps(projection, env, ctx);
  return store.applyOnce(projection.name, { eventId: env.id, seq: ctx.seq }, ops);
}
