import { type AnyEnvelope, type EnvelopeOf, isTrialEvent } from "@persona/contracts";
import {
  SESSIONS_FOLD_TYPES,
  type Observation,
  type Occurrence,
  type ProjectionEffect,
  type SessionsEvent,
  type SessionsProjection,
  applyEvent,
  createProjection,
  ingest,
  occurrenceIdOf,
  routeObservation,
} from "@persona/sessions";
import { cropKeyOf } from "../media.ts";
import { cropLocator } from "../projections/sightings.ts";

/**
 * The sessions read side of one process: the pure `@persona/sessions` projection fed from three streams (SESSIONS,
 * the library's person events on LIBRARY, the recognitions of SIGHTINGS), with the people's names and enrolled photo
 * (for the views) and which occurrences have their start and end recorded. Synchronous and without I/O: the portal's
 * consumer (consumer.ts) feeds it live and publishes what it returns; `persona report` replays the streams into one.
 */

/**
 * What each stream contributes: one subject filter per stream (NATS 2.9 takes one per consumer) and the subjects
 * under it the fold reads (others are skipped before their payload is parsed: templates' embeddings, visitors).
 */
export const SESSIONS_FILTERS = {
  SESSIONS: "sessions.>",
  LIBRARY: "library.*.*",
  SIGHTINGS: "sightings.*.*",
} as const;
export type FoldStream = keyof typeof SESSIONS_FILTERS;

const WANTED: Record<FoldStream, RegExp> = {
  SESSIONS: /^sessions\./,
  LIBRARY: /\.(enrolled|updated|removed)$/,
  SIGHTINGS: /\.(recognized|unknown|concluded)$/,
};

/** Whether the fold reads a message on this subject of this stream. */
export const foldReads = (stream: FoldStream, subject: string) => WANTED[stream].test(subject);

export interface PersonCard {
  name: string;
  /** The first enrollment photo's key in the photos bucket (GET /media/photos/<key>), or null. */
  photoKey: string | null;
  removed: boolean;
}

type SightingEnv = EnvelopeOf<"FaceRecognized"> | EnvelopeOf<"UnknownFaceSeen"> | EnvelopeOf<"TrackConcluded">;

/**
 * A sighting as the attendance fold sees it: a recognition (confirmed or probable) or an unknown face at its frame's
 * instant, with the crop's media key; a concluded track at its first frame (recognized: confirmed; unknown: unknown;
 * undecided: nothing). A trial camera's sightings (persona watch) are nothing.
 */
export function observationOf(env: SightingEnv, seq: number): Observation | null {
  if (isTrialEvent(env)) return null;
  switch (env.type) {
    case "FaceRecognized": {
      const d = env.data;
      const crop = cropKeyOf(d.detectionId, cropLocator(d.crop, seq));
      const at = Date.parse(d.frameAt);
      return {
        trackId: d.trackId,
        cameraId: d.cameraId,
        at,
        personId: d.personId,
        decision: d.decision,
        score: d.similarity,
        crop,
      };
    }
    case "UnknownFaceSeen": {
      const d = env.data;
      const crop = cropKeyOf(d.detectionId, cropLocator(d.crop, seq));
      const at = Date.parse(d.frameAt);
      return { trackId: d.trackId, cameraId: d.cameraId, at, personId: null, decision: "unknown", score: d.bestSimilarity, crop };
    }
    case "TrackConcluded": {
      const d = env.data;
      const base = { trackId: d.trackId, cameraId: d.cameraId, at: Date.parse(d.startedAt), crop: null };
      if (d.outcome.kind === "recognized") {
        return { ...base, personId: d.outcome.personId, decision: "confirmed", score: d.outcome.similarity };
      }
      if (d.outcome.kind === "unknown") return { ...base, personId: null, decision: "unknown", score: d.outcome.bestSimilarity };
      return null;
    }
  }
}

export interface Applied {
  effects: ProjectionEffect[];
  /** The occurrences the event may have changed (for the live push). */
  touched: string[];
  /** The sighting the effects came from (its crop and id go on the alerts). */
  sighting: SightingEnv | null;
}

const NOTHING: Applied = { effects: [], touched: [], sighting: null };

export class SessionsFold {
  readonly projection: SessionsProjection;
  readonly people = new Map<string, PersonCard>();
  /** Occurrences whose OccurrenceStarted / OccurrenceEnded is on the stream. */
  readonly started = new Set<string>();
  readonly ended = new Set<string>();
  /** Ids of the RecognitionRejected events on SESSIONS (a negative already published). */
  readonly negatives = new Set<string>();
  /** The last sequence applied per stream. */
  readonly seq: Record<FoldStream, number> = { SESSIONS: 0, LIBRARY: 0, SIGHTINGS: 0 };

  constructor(options: { earlyMinutes?: number } = {}) {
    this.projection = createProjection(options.earlyMinutes === undefined ? {} : { earlyMinutes: options.earlyMinutes });
  }

  /** The occurrences an observation counts for whose start is not recorded yet (the consumer records them first). */
  unrecorded(o: Observation): Occurrence[] {
    return routeObservation(this.projection, o).filter((occ) => !this.started.has(occ.occurrenceId));
  }

  /** Folds one message of one of the three streams at its sequence. */
  apply(stream: FoldStream, env: AnyEnvelope | null, seq: number): Applied {
    this.seq[stream] = Math.max(this.seq[stream], seq);
    if (env === null) return NOTHING;
    switch (env.type) {
      case "PersonEnrolled":
        this.people.set(env.data.personId, {
          name: env.data.name,
          photoKey: env.data.photos[0]?.key ?? null,
          removed: false,
        });
        return { effects: applyEvent(this.projection, env), touched: [], sighting: null };
      case "PersonUpdated": {
        const card = this.people.get(env.data.personId);
        if (card) {
          if (env.data.name !== undefined) card.name = env.data.name;
          if (env.data.photos !== undefined) card.photoKey = env.data.photos[0]?.key ?? null;
        }
        return { effects: applyEvent(this.projection, env), touched: [], sighting: null };
      }
      case "PersonRemoved": {
        const card = this.people.get(env.data.personId);
        if (card) card.removed = true;
        return { effects: applyEvent(this.projection, env), touched: [], sighting: null };
      }
      case "FaceRecognized":
      case "UnknownFaceSeen":
      case "TrackConcluded": {
        const o = observationOf(env, seq);
        if (o === null) return NOTHING;
        const touched = routeObservation(this.projection, o).map((occ) => occ.occurrenceId);
        return { effects: ingest(this.projection, o), touched, sighting: env };
      }
      case "RecognitionRejected":
        this.negatives.add(env.id);
        return NOTHING;
      case "OccurrenceEnded":
        this.ended.add(occurrenceIdOf(env.data.sessionId, env.data.date));
        return NOTHING;
      default:
        return this.applySessionsEvent(env);
    }
  }

  private applySessionsEvent(env: AnyEnvelope): Applied {
    if (!SESSIONS_FOLD_TYPES.has(env.type)) return NOTHING;
    const event = env as unknown as SessionsEvent;
    const effects = applyEvent(this.projection, event);
    const d = event.data as { sessionId?: string; date?: string };
    if (event.type === "OccurrenceStarted") this.started.add(occurrenceIdOf(event.data.sessionId, event.data.date));
    const touched = d.sessionId !== undefined && d.date !== undefined ? [occurrenceIdOf(d.sessionId, d.date)] : [];
    return { effects, touched, sighting: null };
  }

  /** A person's name (also once removed: past reports keep it), or null. */
  nameOf(personId: string): string | null {
    return this.people.get(personId)?.name ?? null;
  }

  /** Every known person's name (for the CSV reports). */
  names(): Map<string, string> {
    return new Map([...this.people].map(([id, c]) => [id, c.name]));
  }
}
