import { type Bus, type ConsumerLoop, ok } from "@persona/bus";
import { type ConsumerDecl, type EnvelopeOf, type ImageRef, consumerDecl } from "@persona/contracts";
import { type AlertDoc, AlertsRepository, type DocumentStore, type WriteOp } from "@persona/store";

/**
 * The alerts read model (AlertsRepository, collection `alerts`), from the ALERTS stream: raised, acknowledged (who,
 * when), resolved. A durable shared by the replicas, one event at a time, applied with `applyOnce("alerts", ...)`, so
 * a portal restart keeps every alert and its acknowledgement.
 */

export const ALERTS_PROJECTION_CONSUMER: ConsumerDecl = consumerDecl("alerts-projection");

export const ALERTS_PROJECTION = "alerts";

/** The API's crop key of an alert's crop (an inline one is the sighting's, see media.ts). */
export function alertCropKey(crop: ImageRef | null, sightingId: string | null): string | null {
  if (crop === null) return null;
  if (crop.kind === "stored") return crop.ref.key;
  return sightingId !== null && /^[A-Za-z0-9_-]{1,64}$/.test(sightingId) ? `inline/${sightingId}.jpg` : null;
}

type AlertEnv = EnvelopeOf<"AlertRaised"> | EnvelopeOf<"AlertAcknowledged"> | EnvelopeOf<"AlertResolved">;

function rest(a: AlertDoc) {
  return { ...a };
}

export async function alertOps(repo: AlertsRepository, env: AlertEnv): Promise<WriteOp[]> {
  const existing = await repo.get(env.data.alertId);
  switch (env.type) {
    case "AlertRaised": {
      if (existing) return [];
      const d = env.data;
      return [
        repo.putOp({
          id: d.alertId,
          rule: d.rule,
          kind: d.kind,
          severity: d.severity,
          status: "raised",
          message: d.message,
          cameraId: d.cameraId,
          personId: d.personId,
          trackId: d.trackId,
          sightingId: d.sightingId,
          cropKey: alertCropKey(d.crop, d.sightingId),
          at: env.occurredAt,
        }),
      ];
    }
    case "AlertAcknowledged": {
      if (existing?.status !== "raised") return [];
      return [
        repo.putOp({ ...rest(existing), status: "acknowledged", acknowledgedBy: env.data.by, acknowledgedAt: env.occurredAt }),
      ];
    }
    case "AlertResolved": {
      if (!existing || existing.status === "resolved") return [];
      return [repo.putOp({ ...rest(existing), status: "resolved", resolvedAt: env.occurredAt, resolvedBy: env.data.by })];
    }
  }
}

export async function startAlertsProjection(bus: Bus, store: DocumentStore): Promise<ConsumerLoop> {
  const repo = await AlertsRepository.open(store);
  const handle = async (env: AlertEnv, ctx: { streamSeq: number }) => {
    await store.applyOnce(ALERTS_PROJECTION, { eventId: env.id, seq: ctx.streamSeq }, await alertOps(repo, env));
    return ok();
  };
  return bus.consume({
    consumer: ALERTS_PROJECTION_CONSUMER,
    concurrency: 1,
    handlers: { AlertRaised: handle, AlertAcknowledged: handle, AlertResolved: handle },
  });
}
