import { type Bus, type ConsumerLoop, type HandlerContext, ok, skipTrialEvents } from "@persona/bus";
import { type ConsumerDecl, type EnvelopeOf, causedBy, consumerDecl, uuidFrom } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import { type DocumentStore, ValidatedCollection } from "@persona/store";
import { z } from "zod";
import { decodeEmbedding } from "@persona/library";
import type { ReadModels } from "../projections/readModels.ts";
import { VISITORS_PROJECTION } from "../projections/visitors.ts";
import { type IgnoredVisitorFaces, type IgnoredVisitorMatch, matchIgnoredVisitor } from "./ignoredVisitors.ts";
import { type AlertRules, type RulesState, type Sighting, evaluate } from "./rules.ts";

/**
 * The alert consumer: one durable consumer of SIGHTINGS shared by every portal replica (so each sighting is evaluated
 * once), one event at a time (`maxAckPending: 1`). It applies the pure rules (services/portal/src/alerts/rules.ts)
 * with their per-track and de-duplication state kept in the store (`alert_rules_state`), so it does not matter which
 * replica evaluates the next sighting, and publishes AlertRaised. An alert's id derives from the sighting's envelope
 * id and the rule, so a redelivered sighting republishes the same alert, which the stream drops as a duplicate.
 *
 * An UnknownFaceSeen is first matched against the ignored visitors' best-crop embeddings (`IgnoredVisitors`, read
 * from the visitors read model and read again only when the visitors projection's checkpoint moved); a match marks
 * its track as that visitor's, and the rules raise no unknown-face alert for it.
 */

export const ALERTS_CONSUMER: ConsumerDecl = consumerDecl("alerts");

const StateDoc = z.object({
  id: z.string().min(1),
  /** Event time (ms) of the last change: pruning. */
  lastAt: z.number(),
  track: z
    .object({ unknown: z.number().int(), recognized: z.boolean(), ignoredVisitor: z.string().nullable().default(null) })
    .nullable(),
  raisedAt: z.number().nullable(),
});

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AlertConsumerOptions {
  bus: Bus;
  store: DocumentStore;
  models: ReadModels;
  log: Logger;
  /** The rules now (with camera roles known from the cameras merged in). */
  rules: () => Promise<AlertRules>;
  /**
   * Cosine similarity at which an unknown face is an ignored visitor's (ALERTS_IGNORED_VISITOR_MIN_SIMILARITY);
   * default (undefined/null): the embedding model's open-set naming threshold.
   */
  ignoredVisitorMinSimilarity?: number | null;
}

/**
 * The ignored visitors' best-crop embeddings, cached from the visitors read model: read again only when the
 * visitors projection's checkpoint has moved (one small read per unknown face otherwise).
 */
export class IgnoredVisitors {
  private checkpoint = -1;
  private visitors: IgnoredVisitorFaces[] = [];

  constructor(
    private readonly store: DocumentStore,
    private readonly models: ReadModels,
    private readonly minSimilarity: number | null = null,
  ) {}

  /** The current ignored visitors (refreshed when the projection changed). */
  async current(): Promise<IgnoredVisitorFaces[]> {
    const cp = await this.store.checkpoint(VISITORS_PROJECTION);
    if (cp !== this.checkpoint) {
      const docs = await this.models.visitors.find({ status: "ignored", absorbedInto: null });
      this.visitors = docs.map((v) => ({
        visitorId: v.id,
        faces: v.bestCrops.flatMap((c) => {
          if (c.embedding === null) return [];
          try {
            return [{ model: c.embedding.model, vector: decodeEmbedding(c.embedding.base64, c.embedding.dims) }];
          } catch {
            return [];
          }
        }),
      }));
      this.checkpoint = cp;
    }
    return this.visitors;
  }

  /** The ignored visitor an unknown face belongs to, or null. */
  async match(embedding: { model: string; dims: number; base64: string }): Promise<IgnoredVisitorMatch | null> {
    const visitors = await this.current();
    if (visitors.length === 0) return null;
    let vector: Float32Array;
    try {
      vector = decodeEmbedding(embedding.base64, embedding.dims);
    } catch {
      return null;
    }
    return matchIgnoredVisitor({ model: embedding.model, vector }, visitors, this.minSimilarity);
  }
}

type SightingEnv = EnvelopeOf<"FaceRecognized"> | EnvelopeOf<"UnknownFaceSeen"> | EnvelopeOf<"TrackConcluded">;

export function sightingOf(env: SightingEnv): Sighting {
  switch (env.type) {
    case "FaceRecognized":
      return {
        kind: "recognized",
        cameraId: env.data.cameraId,
        trackId: env.data.trackId,
        personId: env.data.personId,
        personName: env.data.personName,
        decision: env.data.decision,
        at: Date.parse(env.data.frameAt),
        sightingId: env.data.detectionId,
      };
    case "UnknownFaceSeen":
      return {
        kind: "unknown",
        cameraId: env.data.cameraId,
        trackId: env.data.trackId,
        at: Date.parse(env.data.frameAt),
        sightingId: env.data.detectionId,
      };
    case "TrackConcluded":
      return {
        kind: "concluded",
        cameraId: env.data.cameraId,
        trackId: env.data.trackId,
        outcome: env.data.outcome.kind,
        at: Date.parse(env.data.endedAt),
      };
  }
}

export async function startAlertConsumer(o: AlertConsumerOptions): Promise<ConsumerLoop> {
  const state = await ValidatedCollection.open(
    o.store,
    { name: "alert_rules_state", indexes: [{ fields: ["lastAt"] }] },
    StateDoc,
  );
  const ignoredVisitors = new IgnoredVisitors(o.store, o.models, o.ignoredVisitorMinSimilarity ?? null);
  let handled = 0;

  const handle = async (env: SightingEnv, _ctx: HandlerContext) => {
    const rules = await o.rules();
    const s = sightingOf(env);
    if (env.type === "UnknownFaceSeen" && s.kind === "unknown") {
      const m = await ignoredVisitors.match(env.data.embedding);
      if (m) {
        s.ignoredVisitor = m.visitorId;
        o.log.debug(
          { cameraId: s.cameraId, trackId: s.trackId, visitorId: m.visitorId, similarity: m.similarity },
          "unknown face of an ignored visitor",
        );
      }
    }
    const trackKey = `${s.cameraId}/${s.trackId}`;
    // load the state the rules may touch: this track and the de-duplication keys of this sighting
    const rs: RulesState = { tracks: new Map(), raised: new Map() };
    const t = await state.get(`t|${trackKey}`);
    if (t?.track) rs.tracks.set(trackKey, { ...t.track, lastAt: t.lastAt });
    const dedupeKeys = rules.rules.flatMap((r) => [
      `${r.id}|${trackKey}`,
      ...(s.kind === "recognized" ? [`${r.id}|person/${s.personId}`] : []),
    ]);
    for (const k of dedupeKeys) {
      const d = await state.get(`r|${k}`);
      if (d?.raisedAt != null) rs.raised.set(k, d.raisedAt);
    }
    let watch: { reason: string } | null = null;
    if (s.kind === "recognized") watch = (await o.models.people.get(s.personId))?.watchlist ?? null;
    const decisions = evaluate(rules, rs, s, (id) => (s.kind === "recognized" && id === s.personId ? watch : null));

    const crop = env.type === "TrackConcluded" ? null : env.data.crop;
    for (const d of decisions) {
      const alert = o.bus.envelope(
        "AlertRaised",
        {
          alertId: uuidFrom(`alert|${env.id}|${d.ruleId}`),
          rule: d.ruleId,
          kind: d.kind,
          severity: d.severity,
          message: d.message,
          cameraId: d.cameraId,
          personId: d.personId,
          trackId: d.trackId,
          sightingId: d.sightingId,
          crop,
        },
        { ...causedBy(env, o.bus.service), id: uuidFrom(`alert-raised|${env.id}|${d.ruleId}`) },
      );
      await o.bus.publish(alert);
      o.log.info({ alertId: alert.data.alertId, rule: d.ruleId, cameraId: d.cameraId }, "alert raised");
    }
    // save the state back
    const track = rs.tracks.get(trackKey);
    if (track)
      await state.put({
        id: `t|${trackKey}`,
        lastAt: track.lastAt,
        track: { unknown: track.unknown, recognized: track.recognized, ignoredVisitor: track.ignoredVisitor ?? null },
        raisedAt: null,
      });
    else await state.delete(`t|${trackKey}`);
    for (const [k, at] of rs.raised) await state.put({ id: `r|${k}`, lastAt: at, track: null, raisedAt: at });
    if (++handled % 200 === 0) await state.deleteMany({ lastAt: { $lt: s.at - DAY_MS } });
    return ok();
  };

  return o.bus.consume({
    consumer: ALERTS_CONSUMER,
    concurrency: 1,
    // a trial camera's sightings (persona watch) raise no alert
    handlers: skipTrialEvents({ FaceRecognized: handle, UnknownFaceSeen: handle, TrackConcluded: handle }),
  });
}
