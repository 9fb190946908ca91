import { type Bus, type Handler, type HandlerContext, type Outcome, ok, poison, retry } from "@persona/bus";
import type { Logger } from "@persona/runtime";
import { type EnvelopeOf, type ImageRef, uuidFrom } from "@persona/contracts";
import { encodeEmbedding } from "@persona/library";
import { type Embedder, ImageDecodeError, decodeChip } from "@persona/vision";
import type { AlignmentWatch } from "./alignmentWatch.ts";
import type { Cascade } from "./cascade.ts";
import type { LibraryGallery } from "@persona/recognition/gallery";
import { type StoredTrack, TrackContentionError, type TrackStore } from "./trackStore.ts";
import type { SweepVerdict } from "./trackSweeper.ts";
import {
  type FusedMatcher,
  type ShotMatch,
  type ShotOutcome,
  type TrackVoteState,
  type VoteOptions,
  addShot,
  decideTrack,
  noteShotFrame,
  orphanEnd,
  readyToConclude,
} from "@persona/recognition";

export interface RecognitionDeps {
  bus: Bus;
  embedder: Embedder;
  gallery: LibraryGallery;
  tracks: TrackStore;
  vote: VoteOptions;
  /** The model name recorded in unknown sightings' embeddings. */
  modelName: string;
  /** Loads a stored crop (Object Store) when a detection does not carry it inline. */
  loadStored: (ref: Extract<ImageRef, { kind: "stored" }>["ref"]) => Promise<Uint8Array>;
  /** The fast classifier cascade (RECOGNIZER_CASCADE=on); absent = embedding path only. */
  cascade?: Cascade;
  /** Counts chips aligned otherwise than this recognizer's enrollment photos. */
  alignment?: AlignmentWatch;
  log?: Logger;
}

/** Ids of what a detection causes, derived from it, so a redelivered detection re-publishes the same messages. */
export const outcomeId = (detectionId: string) => uuidFrom(`outcome/${detectionId}`);
export const concludedId = (cameraId: string, trackId: string) => uuidFrom(`concluded/${cameraId}/${trackId}`);

/**
 * The recognizer's handlers: every FaceDetected ends in exactly one outcome (FaceRecognized or UnknownFaceSeen,
 * with a derived id); when the camera says a track ended and all its shots are processed, one TrackConcluded.
 */
export function recognitionHandlers(d: RecognitionDeps) {
  const handlers: { FaceDetected: Handler<"FaceDetected">; FaceTrackEnded: Handler<"FaceTrackEnded"> } = {
    FaceDetected: (env, ctx) => faceDetected(d, env, ctx),
    FaceTrackEnded: (env) => trackEnded(d, env),
  };
  return Object.assign(handlers, {
    concludeStale: (t: StoredTrack, why: SweepVerdict): Promise<boolean> => concludeStale(d, t, why),
  });
}

type Detection = EnvelopeOf<"FaceDetected">;
/** A shot named by the cascade, or the embedding for the embedding path. */
type Shot = { fast: FastShot; embedding?: undefined } | { fast: null; embedding: Float32Array };
type FastShot = NonNullable<Awaited<ReturnType<Cascade["decide"]>>>;
/** An early answer to the message (a retry or poison) instead of a result. */
type Exit = { exit: Outcome };

async function faceDetected(d: RecognitionDeps, env: Detection, ctx: HandlerContext): Promise<Outcome> {
  const data = env.data;
  d.alignment?.observe(data.cameraId, data.alignment);
  let bytes: Uint8Array;
  try {
    bytes = data.crop.kind === "inline" ? Buffer.from(data.crop.base64, "base64") : await d.loadStored(data.crop.ref);
  } catch (err) {
    return retry(`crop not available: ${(err as Error).message}`, 2000);
  }
  const shot = await readShot(d, env, bytes);
  if ("exit" in shot) return shot.exit;
  ctx.working();
  const voted = shot.fast ?? (await voteByEmbedding(d, env, shot.embedding));
  if ("exit" in voted) return voted.exit;
  const { state, outcome } = voted;
  if (outcome.kind === "recognized") await publishRecognized(d, env, outcome, shot.fast ? "classifier" : "embedding");
  else {
    // the cascade only ever names faces: an unknown outcome always comes from the embedding path
    if (!shot.embedding) return retry("unknown outcome without an embedding", 1000);
    await publishUnknown(d, env, outcome, shot.embedding);
  }
  await conclude(d, state, env);
  return ok();
}

/** Decodes the crop into the model's chip, then has the cascade name it or, failing that, the embedder embed it. */
async function readShot(d: RecognitionDeps, env: Detection, bytes: Uint8Array): Promise<Shot | Exit> {
  const data = env.data;
  try {
    const chip = decodeChip(bytes);
    const size = d.embedder.spec.inputSize;
    if (chip.width !== size || chip.height !== size) {
      return {
        exit: poison(
          `crop is ${chip.width}x${chip.height} but ${d.embedder.spec.name} needs a ${size}x${size} chip aligned ` +
            "with its template: set the camera's chip template to match the recognizer's model",
        ),
      };
    }
    // the cascade: a confirmed track's face may be named by the fast classifier; anything unsure goes on below
    const frame = { at: data.frameAt, quality: data.quality.score };
    const fast = d.cascade ? await d.cascade.decide(data.cameraId, data.trackId, env.id, chip, frame) : null;
    if (fast) return { fast };
    const [embedding] = await d.embedder.embed([chip]);
    if (!embedding) return { exit: retry("embedder returned nothing", 1000) };
    return { fast: null, embedding };
  } catch (err) {
    if (err instanceof ImageDecodeError) return { exit: poison(`crop is not a decodable image: ${err.message}`) };
    if (err instanceof TrackContentionError) return { exit: retry(err.message, 200) };
    throw err;
  }
}

/** Matches the shot's embedding and adds it to its track's vote. */
async function voteByEmbedding(
  d: RecognitionDeps,
  env: Detection,
  embedding: Float32Array,
): Promise<{ state: TrackVoteState; outcome: ShotOutcome } | Exit> {
  const data = env.data;
  const bestMatch = bestMatcher(d);
  const match: ShotMatch = { best: bestMatch(embedding), embedding };
  try {
    const { state, result } = await d.tracks.modify(data.cameraId, data.trackId, (s) => {
      if (!s.shots[env.id]) noteShotFrame(s, data.frameAt, data.quality.score);
      return addShot(s, env.id, match, d.vote, bestMatch);
    });
    return { state, outcome: result };
  } catch (err) {
    if (err instanceof TrackContentionError) return { exit: retry(err.message, 200) };
    throw err;
  }
}

/** The best person for a probe (a shot or a track's fused embedding) and its margin, whatever the thresholds. */
function bestMatcher(d: RecognitionDeps): FusedMatcher {
  return (probe) => d.gallery.bestMatch(probe);
}

/** The detection's outcome message: its id derived from the detection's. */
const outcomeMeta = (env: Detection) => ({ id: outcomeId(env.id), correlationId: env.correlationId, causationId: env.id });

/** What an outcome (FaceRecognized, UnknownFaceSeen) repeats of its detection. */
function fromDetection(env: Detection) {
  const { cameraId, trackId, quality, frameAt, crop } = env.data;
  return { cameraId, trackId, detectionId: env.id, quality, frameAt, crop };
}

async function publishRecognized(
  d: RecognitionDeps,
  env: Detection,
  outcome: Extract<ShotOutcome, { kind: "recognized" }>,
  via: "classifier" | "embedding",
): Promise<void> {
  await d.bus.publish(
    d.bus.envelope(
      "FaceRecognized",
      {
        ...fromDetection(env),
        personId: outcome.personId,
        personName: outcome.name,
        similarity: outcome.similarity,
        margin: outcome.margin,
        decision: outcome.decision,
        votes: { agreeing: outcome.agreeing, total: Math.max(1, outcome.total) },
        via,
      },
      outcomeMeta(env),
    ),
  );
}

async function publishUnknown(
  d: RecognitionDeps,
  env: Detection,
  outcome: Extract<ShotOutcome, { kind: "unknown" }>,
  embedding: Float32Array,
): Promise<void> {
  await d.bus.publish(
    d.bus.envelope(
      "UnknownFaceSeen",
      {
        ...fromDetection(env),
        bestSimilarity: outcome.bestSimilarity,
        bestPersonId: outcome.bestPersonId,
        embedding: { model: d.modelName, dims: embedding.length, base64: encodeEmbedding(embedding) },
      },
      outcomeMeta(env),
    ),
  );
}

async function trackEnded(d: RecognitionDeps, env: EnvelopeOf<"FaceTrackEnded">): Promise<Outcome> {
  const data = env.data;
  try {
    const { state } = await d.tracks.modify(data.cameraId, data.trackId, (s) => {
      if (s.ended === null) {
        s.ended = {
          startedAt: data.startedAt,
          endedAt: data.endedAt,
          frames: data.frames,
          shots: data.shots,
          bestQuality: data.bestQuality,
        };
      }
    });
    await conclude(d, state, env);
  } catch (err) {
    if (err instanceof TrackContentionError) return retry(err.message, 200);
    throw err;
  }
  return ok();
}

/**
 * Publishes the track's conclusion once it ended and every shot is processed, then marks it concluded. A crash
 * in between re-publishes on redelivery with the same derived id, which the server drops as a duplicate.
 */
async function conclude(
  d: RecognitionDeps,
  state: TrackVoteState,
  cause: { id: string; correlationId: string },
  force = false,
): Promise<void> {
  if (!state.ended || state.concluded || !(force || readyToConclude(state))) return;
  const decision = decideTrack(state, d.vote);
  const outcome =
    decision.kind === "recognized"
      ? { kind: "recognized" as const, personId: decision.personId, personName: decision.name, similarity: decision.similarity }
      : decision.kind === "unknown"
        ? { kind: "unknown" as const, bestSimilarity: decision.bestSimilarity }
        : { kind: "undecided" as const, reason: decision.reason };
  const { cameraId, trackId } = state;
  await d.bus.publish(
    d.bus.envelope(
      "TrackConcluded",
      {
        cameraId,
        trackId,
        startedAt: state.ended.startedAt,
        endedAt: state.ended.endedAt,
        frames: state.ended.frames,
        shots: state.ended.shots,
        bestQuality: state.ended.bestQuality,
        outcome,
      },
      { id: concludedId(cameraId, trackId), correlationId: cause.correlationId, causationId: cause.id },
    ),
  );
  await d.tracks.modify(cameraId, trackId, (s) => {
    s.concluded = true;
  });
}

/**
 * Concludes a track the sweeper found stale (trackSweeper.ts) with the shots that arrived: true when this call
 * concluded it. An orphaned track is given an end first, unless its FaceTrackEnded came meanwhile.
 */
async function concludeStale(d: RecognitionDeps, t: StoredTrack, why: SweepVerdict): Promise<boolean> {
  const { cameraId, trackId } = t.state;
  const { state, result: go } = await d.tracks.modify(cameraId, trackId, (s) => {
    if (s.concluded) return false;
    if (why === "orphaned") {
      if (s.ended) return false;
      s.ended = orphanEnd(s, t.writtenAt.toISOString());
    }
    return true;
  });
  if (!go) return false;
  if (why !== "ready") {
    d.log?.warn(
      { cameraId, trackId, processed: state.processed, shots: state.ended?.shots, why },
      why === "orphaned"
        ? "track concluded without its FaceTrackEnded (its camera restarted or stopped since its last shot)"
        : "track concluded with shots missing (lost on the way)",
    );
  }
  const id = concludedId(cameraId, trackId);
  await conclude(d, state, { id, correlationId: uuidFrom(`track/${cameraId}/${trackId}`) }, true);
  return true;
}

export type RecognitionHandlers = ReturnType<typeof recognitionHandlers>;
export type { EnvelopeOf };
