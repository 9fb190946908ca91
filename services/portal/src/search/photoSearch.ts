import type { Bus } from "@persona/bus";
import type { LibraryGallery } from "@persona/recognition/gallery";
import type { ThresholdMode, ThresholdOverride } from "@persona/contracts";
import type { VoteOptions } from "@persona/recognition";
import type { Logger } from "@persona/runtime";
import type { Embedder, FaceDetector, LandmarkDetector } from "@persona/vision";

/**
 * Search by photo (POST /identify): every face of an uploaded photo, its best matches in the library and the decision
 * the recognizers would take for it.
 *
 * - **Same templates as the recognizers**: the library is followed from the LIBRARY stream with the recognizers' own
 *   `LibraryGallery` (@persona/recognition/gallery), keeping the templates of the recognizers' model and mode
 *   ("fr_feature+flip" by default). The people read model has no embeddings (person_templates counts templates).
 * - **Same decision**: @persona/recognition's `voteOptions` (the model's tuned thresholds unless set, as RECOGNIZER_*)
 *   and `decideOneShot` (the photo is a track of one shot that ended: named at the single-shot threshold, else
 *   "probable" at the verification threshold, both with the margin, else unknown).
 * - **Same faces**: detected and aligned as the recognizers align enrollment photos (`detectAndAlign`, the 68-point
 *   landmarks when the model's template has them, as ALIGN_LANDMARKS=auto does).
 * - **Lazily**: nothing is loaded (not even onnxruntime) until the first search; without the model files the search
 *   answers 503 "search by photo needs the models: make models" and tries again on the next request.
 * - One photo at a time (a queue), on `threads` onnxruntime threads.
 */

export interface SearchSettings {
  /** Embedding model (RECOGNIZER_MODEL's value); default @persona/vision's DEFAULT_EMBEDDER_MODEL. */
  model?: string | undefined;
  /** Mirror fusion (RECOGNIZER_FLIP's value); default @persona/recognition's VOTE_DEFAULTS.flip. */
  flip?: boolean | undefined;
  nameThreshold?: number | undefined;
  probableThreshold?: number | undefined;
  minMargin?: number | undefined;
  singleShotThreshold?: number | undefined;
  /** onnxruntime intra-op threads. Default 1. */
  threads?: number | undefined;
  /** People listed per face. Default 5. */
  topK?: number | undefined;
}

export const MODELS_NEEDED = "search by photo needs the models: make models";

/** The search cannot run here: its model files are missing (503). */
export class SearchUnavailableError extends Error {
  override name = "SearchUnavailableError";
}

/** The upload is not a photo the search can read (4xx). */
export class SearchInputError extends Error {
  override name = "SearchInputError";
  constructor(
    readonly status: 400 | 413 | 415 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SearchedFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  quality: { score: number; gate: string | null };
  matches: { personId: string; name: string; similarity: number }[];
  decision: "named" | "probable" | "unknown";
  /** The decided person (named / probable), else null. */
  personId: string | null;
  name: string | null;
  similarity: number | null;
  margin: number | null;
}

export interface SearchResult {
  width: number;
  height: number;
  faces: SearchedFace[];
  detector: string;
  model: string;
  thresholds: { name: number; probable: number; singleShot: number; minMargin: number };
  gallery: { people: number; templates: number };
  ms: number;
}

interface Loaded {
  vision: typeof import("@persona/vision");
  decideOneShot: typeof import("@persona/recognition").decideOneShot;
  embedder: Embedder;
  detector: FaceDetector;
  landmarks: LandmarkDetector | null;
  gallery: LibraryGallery;
  vote: VoteOptions;
  /** The vote with an admin's threshold in place of the settings'. */
  voteFor: (o: ThresholdOverride | null) => VoteOptions;
  spec: string;
  mode: ThresholdMode;
  model: string;
}

export class PhotoSearch {
  #loading: Promise<Loaded> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly bus: Bus,
    private readonly settings: SearchSettings,
    private readonly log: Logger,
    /** The admin's naming threshold for a model and mode (console), which replaces the settings' at each search. */
    private readonly overrideOf: (model: string, mode: ThresholdMode) => Promise<ThresholdOverride | null> = async () => null,
  ) {}

  /** Faces, matches and decisions of one photo (its bytes); one photo at a time. */
  identify(bytes: Uint8Array): Promise<SearchResult> {
    const run = this.#queue.then(() => this.#identify(bytes));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Loads the models and replays the library now (a bench or a warm-up); the first search does it otherwise. */
  async warm(): Promise<void> {
    await this.#ready();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const loading = this.#loading;
    this.#loading = null;
    const m = await loading?.catch(() => null);
    if (!m) return;
    await this.#queue;
    await m.gallery.stop();
    await m.embedder.dispose();
    await m.detector.dispose();
    await m.landmarks?.dispose();
  }

  #ready(): Promise<Loaded> {
    if (this.#stopped) return Promise.reject(new SearchUnavailableError("the portal is stopping"));
    if (!this.#loading) {
      const loading = this.#load();
      this.#loading = loading;
      // a failed load (models missing) is tried again by the next request
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = null;
      });
    }
    return this.#loading;
  }

  async #load(): Promise<Loaded> {
    const vision = await import("@persona/vision");
    const recognition = await import("@persona/recognition");
    const { LibraryGallery } = await import("@persona/recognition/gallery");
    const s = this.settings;
    const spec = vision.embedderSpec(s.model ?? vision.DEFAULT_EMBEDDER_MODEL);
    const flip = s.flip ?? recognition.VOTE_DEFAULTS.flip;
    const voteFor = (o: ThresholdOverride | null) =>
      recognition.voteOptions(spec, {
        ...recognition.VOTE_DEFAULTS,
        flip,
        nameThreshold: o?.nameThreshold ?? s.nameThreshold,
        probableThreshold: s.probableThreshold,
        minMargin: o?.minMargin ?? s.minMargin,
        singleShotThreshold: s.singleShotThreshold,
      });
    const vote = voteFor(null);
    const threads = s.threads ?? 1;
    const opened: { dispose(): Promise<void> }[] = [];
    try {
      const embedder = await vision.Embedder.create({ model: spec, flip, intraOpNumThreads: threads });
      opened.push(embedder);
      const detector = await vision.FaceDetector.create({ intraOpNumThreads: threads });
      opened.push(detector);
      const landmarks = embedder.template.landmarks68
        ? await vision.LandmarkDetector.create({ intraOpNumThreads: threads })
        : null;
      if (landmarks) opened.push(landmarks);
      const model = vision.templateModelName(embedder);
      const gallery = new LibraryGallery(model, embedder.dims, this.log.child({ part: "search-gallery" }));
      await gallery.start(this.bus.js, this.bus.jsm);
      if (detector.note) this.log.warn({ detector: detector.kind }, detector.note);
      this.log.info({ model, detector: detector.kind, vote, ...gallery.stats }, "search by photo ready");
      const mode: ThresholdMode = flip ? "flip" : "single";
      return {
        vision,
        decideOneShot: recognition.decideOneShot,
        embedder,
        detector,
        landmarks,
        gallery,
        vote,
        voteFor,
        spec: spec.name,
        mode,
        model,
      };
    } catch (err) {
      for (const o of opened) await o.dispose().catch(() => {});
      if (err instanceof vision.ModelLoadError) {
        this.log.warn({ err: err.message }, MODELS_NEEDED);
        throw new SearchUnavailableError(MODELS_NEEDED, { cause: err });
      }
      throw err;
    }
  }

  /** The library as of now: what was enrolled before this request is searched (bounded: a short wait at most). */
  async #caughtUp(gallery: LibraryGallery): Promise<void> {
    const last = (await this.bus.jsm.streams.info("LIBRARY")).state.last_seq;
    if (gallery.library.seq >= last) return;
    await gallery.waitForSeq(last, 300).catch(() => {});
  }

  async #identify(bytes: Uint8Array): Promise<SearchResult> {
    const m = await this.#ready();
    const { vision, embedder, gallery } = m;
    await this.#caughtUp(gallery);
    const t0 = performance.now();
    let img: Awaited<ReturnType<typeof vision.decodeImage>>;
    try {
      img = await vision.decodeImage(bytes);
    } catch (err) {
      if (!(err instanceof vision.ImageDecodeError)) throw err;
      if (err.code === "too_large") throw new SearchInputError(413, "too-large", `the photo is too large: ${err.message}`);
      throw new SearchInputError(415, "not-an-image", `not a readable image (${err.code}): ${err.message}`);
    }
    const faces = await vision.detectAndAlign(img, { detector: m.detector, template: embedder.template, landmarks: m.landmarks });
    const embeddings = faces.length > 0 ? await embedder.embed(faces.map((f) => f.chip)) : [];
    const topK = this.settings.topK ?? 5;
    const override = await this.overrideOf(m.spec, m.mode);
    const vote = override ? m.voteFor(override) : m.vote;
    const out: SearchedFace[] = faces.map((f, i) => {
      const probe = embeddings[i] as Float32Array;
      const d = m.decideOneShot(gallery.bestMatch(probe), vote);
      return {
        box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height },
        score: f.score,
        quality: { score: f.quality.score, gate: f.gate.pass ? null : f.gate.reason },
        matches: gallery.gallery
          .searchPeople(probe, topK)
          .map((p) => ({ personId: p.personId, name: gallery.nameOf(p.personId), similarity: p.similarity })),
        decision: d.decision,
        personId: d.personId,
        name: d.name,
        similarity: d.similarity,
        margin: d.margin,
      };
    });
    return {
      width: img.width,
      height: img.height,
      faces: out,
      detector: m.detector.kind,
      model: m.model,
      thresholds: {
        name: vote.nameThreshold,
        probable: vote.probableThreshold,
        singleShot: vote.singleShotThreshold,
        minMargin: vote.minMargin,
      },
      gallery: { people: gallery.gallery.personCount, templates: gallery.gallery.size },
      ms: Math.round((performance.now() - t0) * 10) / 10,
    };
  }
}
