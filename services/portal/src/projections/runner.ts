import { type Bus, type ConsumerLoop, type HandlerContext, type HandlerMap, ok, skipTrialEvents } from "@persona/bus";
import { type ConsumerDecl, type EnvelopeOf, type MessageType, consumerDecl } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import type { DocumentStore } from "@persona/store";
import { attendanceProjection } from "./attendance.ts";
import { peopleProjection } from "./people.ts";
import { presenceProjection } from "./presence.ts";
import { type AnyProjection, applyProjection, takes } from "./projection.ts";
import { type ReadModels, openReadModels } from "./readModels.ts";
import { sightingsProjection } from "./sightings.ts";
import { visitorsProjection } from "./visitors.ts";

/**
 * The projections' durable consumers, shared by every portal replica, so each event is applied once.
 *
 * Ordering: the handlers read, compute and replace documents, and `applyOnce` keeps a per-projection sequence
 * checkpoint. Both are only right when events are applied one at a time in stream order. With several replicas
 * pulling from one durable, the server would hand out messages in parallel and they would land out of order (a
 * later sequence applied first makes the checkpoint skip the earlier one; two read-modify-writes of one attendance
 * day would race). So each durable has `maxAckPending: 1`: the server delivers the next event only after the
 * previous one was acknowledged, whichever replica holds it. Replicas then give availability, not throughput; one
 * event costs a pull round trip and one store transaction (about 1-3 ms on one machine), ample for the sightings
 * of many cameras. A handler that fails is retried with backoff (the loop's 0.5 s doubling to 30 s) for up to
 * `maxDeliver` deliveries, during which the projection waits; after that the event is dead-lettered and a
 * `persona projections rebuild` brings it back.
 */

export const SIGHTINGS_PROJECTIONS_CONSUMER: ConsumerDecl = consumerDecl("projections");

export const PEOPLE_PROJECTION_CONSUMER: ConsumerDecl = consumerDecl("people-projection");

/** Which projections each durable feeds, in the order they are applied. */
export const PROJECTION_GROUPS = [
  {
    consumer: SIGHTINGS_PROJECTIONS_CONSUMER,
    projections: [sightingsProjection, presenceProjection, attendanceProjection, visitorsProjection],
  },
  { consumer: PEOPLE_PROJECTION_CONSUMER, projections: [peopleProjection] },
] as const satisfies readonly { consumer: ConsumerDecl; projections: readonly AnyProjection[] }[];

export const ALL_PROJECTIONS: readonly AnyProjection[] = PROJECTION_GROUPS.flatMap((g) => [...g.projections]);

export interface ProjectionsOptions {
  bus: Bus;
  store: DocumentStore;
  log: Logger;
  /** IANA time zone of attendance days. */
  timeZone: string;
}

export interface RunningProjections {
  loops: ConsumerLoop[];
  stop(): Promise<void>;
}

/** Applies one event to every projection of a group that takes it (each with its own checkpoint). */
export async function applyToGroup(
  store: DocumentStore,
  models: ReadModels,
  projections: readonly AnyProjection[],
  env: EnvelopeOf<MessageType>,
  seq: number,
  timeZone: string,
): Promise<void> {
  for (const p of projections) {
    if (takes(p, env.type)) await applyProjection(store, p, env, { seq, models, timeZone });
  }
}

export async function startProjections(o: ProjectionsOptions): Promise<RunningProjections> {
  const models = await openReadModels(o.store);
  const loops: ConsumerLoop[] = [];
  for (const group of PROJECTION_GROUPS) {
    const projections: readonly AnyProjection[] = group.projections;
    const handle = async (env: EnvelopeOf<MessageType>, ctx: HandlerContext) => {
      await applyToGroup(o.store, models, projections, env, ctx.streamSeq, o.timeZone);
      return ok();
    };
    const types = [...new Set(projections.flatMap((p) => Object.keys(p.handlers) as MessageType[]))];
    const handlers: Partial<HandlerMap> = Object.fromEntries(types.map((t) => [t, handle]));
    // a trial camera's sightings (persona watch) are never projected: no sighting, presence, attendance or visitor
    loops.push(await o.bus.consume({ consumer: group.consumer, handlers: skipTrialEvents(handlers), concurrency: 1 }));
  }
  o.log.info(
    { projections: ALL_PROJECTIONS.map((p) => p.name), consumers: PROJECTION_GROUPS.map((g) => g.consumer.durable) },
    "projections running",
  );
  return {
    loops,
    async stop() {
      for (const l of loops) await l.stop();
    },
  };
}
