import { type EnvelopeOf, uuidFrom } from "@persona/contracts";
import type { WriteOp } from "@persona/store";
import type { Projection, ProjectionContext } from "./projection.ts";
import { type VisitorDecision, type VisitorDoc, trackKey } from "./readModels.ts";
import { cropLocator } from "./sightings.ts";

/**
 * Unknown visitors (SIGHTINGS, `sightings.visitors.<id>.*`): the trainer's clusters of recurring unknown faces
 * (services/trainer/src/visitors) with what operators decided about them.
 *
 * - VisitorClustered / VisitorUpdated: one `visitors` document per visitor with the latest summary (faces, visits,
 *   first/last seen, cameras, the best crops' locators and embeddings). The crops' bytes stay in the summary's
 *   SIGHTINGS message (`msg:SIGHTINGS/<seq>`) or the Object Store, as for sightings.
 * - Merges: a summary lists the visitors its cluster absorbed. Their documents stay, pointing at the survivor
 *   (`absorbedInto`), and are no longer listed. A decision about an absorbed visitor carries over to the survivor
 *   when the survivor has none, once, when the merge is first seen: what the trainer's VisitorBook does.
 * - VisitorNamed / VisitorIgnored: the decision, kept by visitor id in `visitor_decisions` (also for a visitor not
 *   listed yet or any more) and copied onto the visitor's document (`status`, `decision`). A decision about a visitor
 *   already absorbed applies to its survivor too (`inheritedFrom` = the absorbed one), as the trainer applies it. The
 *   latest decision wins, as in the trainer's book.
 */

export type VisitorsEventType = "VisitorClustered" | "VisitorUpdated" | "VisitorNamed" | "VisitorIgnored";

export const VISITORS_PROJECTION = "visitors";

async function summary(
  env: EnvelopeOf<"VisitorClustered"> | EnvelopeOf<"VisitorUpdated">,
  { models, seq }: ProjectionContext,
): Promise<WriteOp[]> {
  const d = env.data;
  const id = d.visitorId;
  const ops: WriteOp[] = [];
  const prev = await models.visitors.get(id);
  const stored = await models.visitorDecisions.get(id);
  let decision: VisitorDecision | null = stored ? decisionOf(stored) : null;
  for (const gone of new Set(d.absorbed)) {
    if (gone === id) continue;
    const g = await models.visitors.get(gone);
    const known = g?.absorbedInto === id;
    if (g && !known) ops.push(models.visitors.putOp({ ...g, absorbedInto: id }));
    // visitors the absorbed one had absorbed point at the survivor now
    for (const older of await models.visitors.find({ absorbedInto: gone })) {
      if (older.id !== id) ops.push(models.visitors.putOp({ ...older, absorbedInto: id }));
    }
    if (!known && decision === null) {
      const inherited = await models.visitorDecisions.get(gone);
      if (inherited) {
        decision = { ...decisionOf(inherited), inheritedFrom: inherited.inheritedFrom ?? gone };
        ops.push(models.visitorDecisions.putOp({ id, ...decision }));
      }
    }
  }
  const doc: VisitorDoc = {
    id,
    faces: d.faces,
    visits: d.visits,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
    cameras: [...d.cameras],
    bestCrops: d.bestCrops.map((b) => ({
      detectionId: b.detectionId,
      cameraId: b.cameraId,
      trackId: b.trackId,
      quality: b.quality,
      seenAt: b.seenAt,
      cropId: cropLocator(b.crop, seq),
      embedding: b.embedding ?? null,
    })),
    absorbed: [...new Set([...(prev?.absorbed ?? []), ...d.absorbed])].filter((a) => a !== id),
    // a visitor published again is a visitor again (the newest summary is the truth)
    absorbedInto: null,
    status: decision?.kind ?? "open",
    decision,
    clusteredAt: prev?.clusteredAt ?? env.occurredAt,
    updatedAt: env.occurredAt,
    summarySeq: seq,
  };
  ops.push(models.visitors.putOp(doc));
  for (const key of new Set(d.bestCrops.map((b) => trackKey(b.cameraId, b.trackId)))) {
    ops.push(models.visitorTracks.putOp({ id: key, visitorId: id }));
  }
  return ops;
}

function decisionOf(d: VisitorDecision & { id?: string }): VisitorDecision {
  const { id: _id, ...rest } = d;
  return rest;
}

/** An operator's decision (VisitorNamed / VisitorIgnored): by whom and when from the event, `choice` the rest. */
async function decided(
  env: EnvelopeOf<"VisitorNamed"> | EnvelopeOf<"VisitorIgnored">,
  choice: Omit<VisitorDecision, "by" | "at" | "inheritedFrom">,
  { models }: ProjectionContext,
): Promise<WriteOp[]> {
  const id = env.data.visitorId;
  const decision: VisitorDecision = { ...choice, by: env.data.by, at: env.occurredAt, inheritedFrom: null };
  const ops: WriteOp[] = [models.visitorDecisions.putOp({ id, ...decision })];
  const v = await models.visitors.get(id);
  if (v) ops.push(models.visitors.putOp({ ...v, status: decision.kind, decision }));
  // a decision about a visitor that was merged into another one is about the survivor (as the trainer applies it)
  if (v?.absorbedInto != null) {
    const survivor = await currentVisitor(models, id);
    if (survivor && survivor.id !== id) {
      const inherited = { ...decision, inheritedFrom: id };
      ops.push(
        models.visitorDecisions.putOp({ id: survivor.id, ...inherited }),
        models.visitors.putOp({ ...survivor, status: decision.kind, decision: inherited }),
      );
    }
  }
  return ops;
}

export const visitorsProjection = {
  name: VISITORS_PROJECTION,
  collections: ["visitors", "visitor_decisions", "visitor_tracks"],
  handlers: {
    VisitorClustered: summary,
    VisitorUpdated: summary,
    async VisitorNamed(env, ctx) {
      const d = env.data;
      const choice = { kind: "named", reason: null, personId: d.personId, personName: d.name, existing: d.existing } as const;
      return decided(env, choice, ctx);
    },
    async VisitorIgnored(env, ctx) {
      const choice = { kind: "ignored", reason: env.data.reason, personId: null, personName: null, existing: null } as const;
      return decided(env, choice, ctx);
    },
  },
} satisfies Projection<VisitorsEventType>;

/** Follows merges from a visitor id to the visitor that holds its faces now (itself when not absorbed). */
/** The id of the one decision about a visitor (VisitorNamed or VisitorIgnored): a second one is a duplicate. */
export const decisionId = (visitorId: string) => uuidFrom(`portal/visitor-decision/${visitorId}`);

export async function currentVisitor(models: ProjectionContext["models"], visitorId: string): Promise<VisitorDoc | undefined> {
  let v = await models.visitors.get(visitorId);
  for (let hops = 0; v?.absorbedInto != null && hops < 64; hops++) v = await models.visitors.get(v.absorbedInto);
  return v?.absorbedInto == null ? v : undefined;
}
