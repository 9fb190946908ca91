/**
 * The recognizer's cascade: a fast classifier (published by the trainer) may name a face instead of the embedding
 * path, but only inside a track the embedding path has already confirmed, for that same person, with a high
 * softmax probability; everything else (no model, unconfirmed track, "unknown" class, another person, low
 * probability, the periodic re-check) falls back to the embedding path. Classifier shots never vote: the track's
 * tally stays embedding-only, so the classifier can never confirm a track by itself.
 *
 * Models are hot-swapped: a new one is loaded beside the old, the reference is swapped in one step, and the old
 * session is released once the calls that acquired it have finished.
 */
import type { Bus, Feed } from "@persona/bus";
import type { Logger } from "@persona/runtime";
import type { RgbImage } from "@persona/vision";
import { ClassifierModel, type ClassifierInfo, type FastAnswer, baseModelName } from "./classifierModel.ts";
import { loadBlob } from "./media.ts";
import type { TrackStore } from "./trackStore.ts";
import {
  MAX_REMEMBERED_SHOTS,
  type ShotOutcome,
  type TrackVoteState,
  type VoteOptions,
  decideTrack,
  noteShotFrame,
} from "@persona/recognition";

export interface CascadeOptions {
  /** The classifier's probability for the track's person must reach this. */
  minProbability: number;
  /** Every n-th shot of a confirmed track goes through the embedding path anyway (0 = never forced). */
  embeddingEvery: number;
}

export type CascadeDecision =
  | { kind: "accept"; personId: string; name: string; similarity: number; agreeing: number; total: number }
  | { kind: "fallback"; reason: "track-not-confirmed" | "unknown-class" | "other-person" | "unsure" | "recheck" };

/** Shots of the track decided by the classifier (they add no vote, so they are the processed shots not in the tally). */
export function classifierShots(s: TrackVoteState): number {
  let named = 0;
  for (const t of Object.values(s.tally)) named += t.votes;
  return s.processed - named - s.unknownVotes;
}

/** Pure: may the classifier's answer stand for this shot of this track? */
export function cascadeDecision(s: TrackVoteState, vote: VoteOptions, fast: FastAnswer, o: CascadeOptions): CascadeDecision {
  const track = decideTrack(s, vote);
  if (track.kind !== "recognized") return { kind: "fallback", reason: "track-not-confirmed" };
  if (fast.personId === null) return { kind: "fallback", reason: "unknown-class" };
  if (fast.personId !== track.personId) return { kind: "fallback", reason: "other-person" };
  if (!(fast.probability >= o.minProbability)) return { kind: "fallback", reason: "unsure" };
  if (o.embeddingEvery > 0 && (s.processed + 1) % o.embeddingEvery === 0) return { kind: "fallback", reason: "recheck" };
  return {
    kind: "accept",
    personId: track.personId,
    name: track.name,
    similarity: track.similarity,
    agreeing: track.agreeing,
    total: track.total,
  };
}

/** Records a classifier-decided shot (no vote) and returns its outcome. */
export function addClassifierShot(s: TrackVoteState, detectionId: string, d: Extract<CascadeDecision, { kind: "accept" }>) {
  const outcome: Extract<ShotOutcome, { kind: "recognized" }> = {
    kind: "recognized",
    personId: d.personId,
    name: d.name,
    similarity: d.similarity,
    margin: 0,
    decision: "confirmed",
    agreeing: d.agreeing,
    total: d.total,
  };
  s.processed++;
  s.shots[detectionId] = outcome;
  const ids = Object.keys(s.shots);
  for (let i = 0; i < ids.length - MAX_REMEMBERED_SHOTS; i++) delete s.shots[ids[i] as string];
  return outcome;
}

interface Slot {
  model: ClassifierModel;
  inflight: number;
  retired: boolean;
}

/** The current model, swapped atomically; old sessions are released after their last in-flight call. */
export class ClassifierHolder {
  private slot: Slot | null = null;
  private released = 0;

  get current(): ClassifierModel | null {
    return this.slot?.model ?? null;
  }

  get releasedCount(): number {
    return this.released;
  }

  /** Runs `fn` with the current model (or returns null when there is none); the model stays alive until fn ends. */
  async use<R>(fn: (m: ClassifierModel) => Promise<R>): Promise<R | null> {
    const slot = this.slot;
    if (!slot) return null;
    slot.inflight++;
    try {
      return await fn(slot.model);
    } finally {
      slot.inflight--;
      if (slot.retired && slot.inflight === 0) await this.release(slot);
    }
  }

  async swap(model: ClassifierModel | null): Promise<void> {
    const old = this.slot;
    this.slot = model ? { model, inflight: 0, retired: false } : null;
    if (old) {
      old.retired = true;
      if (old.inflight === 0) await this.release(old);
    }
  }

  private async release(slot: Slot): Promise<void> {
    if (slot.inflight !== 0 || !slot.retired) return;
    slot.inflight = -1; // never twice
    this.released++;
    await slot.model.release();
  }
}

class Fallback extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface CascadeStats {
  modelId: string | null;
  fast: number;
  fallback: Record<string, number>;
  fastMs: number;
}

export class Cascade {
  readonly holder = new ClassifierHolder();
  readonly stats: CascadeStats = { modelId: null, fast: 0, fallback: {}, fastMs: 0 };
  private feed: Feed | undefined;

  constructor(
    private readonly tracks: TrackStore,
    private readonly vote: VoteOptions,
    private readonly o: CascadeOptions,
    private readonly embeddingModel: string,
    private readonly log: Logger,
  ) {}

  /**
   * The classifier's outcome for this shot, recorded in the track state, or null to use the embedding path.
   * Throws the track store's contention error like the embedding path does.
   */
  async decide(
    cameraId: string,
    trackId: string,
    detectionId: string,
    chip: RgbImage,
    frame: { at: string; quality: number },
  ): Promise<{ state: TrackVoteState; outcome: ShotOutcome } | null> {
    const t0 = performance.now();
    const answer = await this.holder.use((m) => m.classify(chip));
    this.stats.fastMs += performance.now() - t0;
    if (!answer) return null;
    try {
      const { state, result } = await this.tracks.modify(cameraId, trackId, (s) => {
        const existing = s.shots[detectionId];
        if (existing) {
          if (existing.kind === "recognized") return existing;
          throw new Fallback("redelivered");
        }
        const d = cascadeDecision(s, this.vote, answer, this.o);
        if (d.kind === "fallback") throw new Fallback(d.reason);
        noteShotFrame(s, frame.at, frame.quality);
        return addClassifierShot(s, detectionId, d);
      });
      this.stats.fast++;
      return { state, outcome: result };
    } catch (err) {
      if (!(err instanceof Fallback)) throw err;
      this.stats.fallback[err.reason] = (this.stats.fallback[err.reason] ?? 0) + 1;
      return null;
    }
  }

  /** Follows MODELS: the last published classifier at start, then every new one, each loaded and swapped in. */
  async start(bus: Bus): Promise<void> {
    const feed = await bus.follow({
      stream: "MODELS",
      filter: "models.classifier.published",
      from: "last-per-subject",
    });
    this.feed = feed;
    void (async () => {
      for await (const d of feed) {
        if (d.env?.type !== "ClassifierPublished") continue;
        await this.load(bus, d.env.data);
      }
    })();
  }

  /** Loads a published model and swaps it in (a model that fails to load leaves the current one in place). */
  async load(bus: Bus, info: ClassifierInfo): Promise<boolean> {
    if (baseModelName(info.embeddingModel) !== baseModelName(this.embeddingModel)) {
      this.log.warn(
        { modelId: info.modelId, for: info.embeddingModel, mine: this.embeddingModel },
        "ignoring a classifier trained for another embedding model's chips",
      );
      return false;
    }
    try {
      const model = await ClassifierModel.load(await loadBlob(bus, info.model), info);
      await this.holder.swap(model);
      this.stats.modelId = info.modelId;
      this.log.info({ modelId: info.modelId, classes: info.classes.length, metrics: info.metrics }, "fast classifier swapped in");
      return true;
    } catch (err) {
      this.log.error({ err, modelId: info.modelId }, "cannot load the published classifier; keeping the current one");
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.feed?.close();
    await this.holder.swap(null);
  }
}
