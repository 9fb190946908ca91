/**
 * Gallery growth, the I/O side: a durable consumer of SIGHTINGS' FaceRecognized. For each confirmed recognition it
 * embeds the crop with the recognizer's model, asks the pure policy (@persona/recognition) against its own copy of the library
 * (followed from LIBRARY), and has the library writer append FaceTemplateAdded (origin self-learning, with its
 * provenance) and, when the person is over the bound, FaceTemplateReverted for the retired template. Ids are derived
 * from the detection, so a redelivered recognition re-publishes the same events, which the stream drops as duplicates.
 *
 * Negatives: an operator who rejects a recognition in a session ("not this person", RecognitionRejected on SESSIONS)
 * refutes that track for that person: its self-learned templates are reverted, and it never grows the gallery again;
 * an undo (the same subject, rejected false) lets it count again (a reverted template stays reverted).
 */
import { type Bus, type ConsumerLoop, type Feed, type Handler, ok, retry, skipTrialEvents } from "@persona/bus";
import { type ConsumerDecl, type DataOf, consumerDecl, uuidFrom } from "@persona/contracts";
import { LibraryFollower, type LibraryState, LibraryWriter, encodeEmbedding } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { type Embedder, ImageDecodeError, decodeChip, templateModelName } from "@persona/vision";
import {
  type GrowthCandidate,
  GrowthGallery,
  type GrowthOptions,
  type GrowthRejection,
  decideGrowth,
  precheckGrowth,
} from "@persona/recognition";
import { templatesOf } from "@persona/recognition/gallery";

export const GROWTH_CONSUMER: ConsumerDecl = consumerDecl("gallery-growth");

export const templateIdOf = (detectionId: string) => uuidFrom(`self-learned-template/${detectionId}`);

export interface GrowthDeps {
  bus: Bus;
  embedder: Embedder;
  options: GrowthOptions;
  log: Logger;
  /** Reads a stored crop (Object Store) when a recognition does not carry it inline. */
  loadStored?: (bucket: string, key: string) => Promise<Uint8Array | null>;
}

export interface GrowthStats {
  seen: number;
  added: number;
  retired: number;
  rejected: Partial<Record<GrowthRejection | "crop-unavailable" | "bad-crop" | "refuted", number>>;
  /** Self-learned templates reverted because an operator rejected the recognition they came from. */
  reverted: number;
  templates: number;
  libraryReady: boolean;
}

/** The running growth consumer. `start` replays the library first, then consumes. */
export class GalleryGrowth {
  readonly gallery: GrowthGallery;
  readonly stats: GrowthStats = { seen: 0, added: 0, retired: 0, rejected: {}, reverted: 0, templates: 0, libraryReady: false };
  private readonly follower: LibraryFollower;
  private readonly writer: LibraryWriter;
  private readonly model: string;
  private loop: ConsumerLoop | undefined;
  /** Tracks an operator refuted for a person, `<personId>|<trackId>` (the negatives' last word per subject). */
  readonly refuted = new Set<string>();
  private negatives: Feed | undefined;
  private negativesLoop: Promise<void> | undefined;

  constructor(private readonly d: GrowthDeps) {
    this.model = templateModelName(d.embedder);
    this.gallery = new GrowthGallery(d.embedder.dims);
    const keepTemplates = templatesOf(this.model, {
      add: (personId, templateId, embedding, t) =>
        this.gallery.add(templateId, personId, embedding, {
          selfLearned: t.origin.kind === "self-learning",
          addedAt: t.origin.kind === "self-learning" ? Date.parse(t.origin.seenAt) : Date.parse(t.addedAt),
        }),
      removeTemplate: (templateId) => this.gallery.remove(templateId),
      removePerson: (personId) => this.gallery.removePerson(personId),
    });
    this.follower = new LibraryFollower(d.log, (change, state) => {
      keepTemplates(change, state);
      this.stats.templates = this.gallery.size;
    });
    this.writer = new LibraryWriter({ bus: d.bus });
  }

  get library(): LibraryState {
    return this.follower.state;
  }

  async start(): Promise<void> {
    await this.follower.start(this.d.bus.js, this.d.bus.jsm);
    this.stats.libraryReady = true;
    await this.followNegatives();
    this.d.log.info({ templates: this.gallery.size, model: this.model }, "gallery growth: library replayed");
    this.loop = await this.d.bus.consume({
      consumer: GROWTH_CONSUMER,
      concurrency: 1,
      // a trial camera's recognitions (persona watch) never grow a gallery
      handlers: skipTrialEvents({ FaceRecognized: this.recognized }),
    });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = undefined;
    await this.negatives?.close();
    await this.negativesLoop;
    this.negatives = undefined;
    await this.follower.stop();
  }

  /** The negatives so far (last per subject), then new ones as they come; each applied in order. */
  private async followNegatives(): Promise<void> {
    const feed = await this.d.bus.follow({ stream: "SESSIONS", filter: "sessions.negative.*.*", from: "last-per-subject" });
    this.negatives = feed;
    this.negativesLoop = (async () => {
      for await (const d of feed) {
        const env = d.env;
        if (env?.type !== "RecognitionRejected") continue;
        await this.negative(env.data).catch((err: unknown) =>
          this.d.log.error({ err, personId: env.data.personId }, "a rejected recognition could not be applied"),
        );
      }
    })();
  }

  private async negative(n: DataOf<"RecognitionRejected">): Promise<void> {
    const key = `${n.personId}|${n.trackId}`;
    if (!n.rejected) {
      this.refuted.delete(key);
      return;
    }
    this.refuted.add(key);
    const person = this.library.people.get(n.personId);
    const learned = [...(person?.templates.values() ?? [])].filter(
      (t) => t.origin.kind === "self-learning" && t.origin.trackId === n.trackId,
    );
    for (const t of learned) {
      const out = await this.writer.execute({
        kind: "revert-template",
        personId: n.personId,
        templateId: t.templateId,
        by: n.by,
        reason: `learned from track ${n.trackId}, which ${n.by} rejected as not ${person?.name ?? n.personId} (session ${n.sessionId}, ${n.date})`,
      });
      if ("rejected" in out) continue; // reverted already (a replay)
      this.gallery.remove(t.templateId);
      this.stats.reverted++;
      this.d.log.info(
        { personId: n.personId, templateId: t.templateId, trackId: n.trackId, by: n.by },
        "self-learned template reverted: its recognition was rejected",
      );
    }
  }

  /** The recognition's crop embedded with the model, or the handler's outcome when it cannot be (skipped or retried). */
  private async embedCrop(
    r: DataOf<"FaceRecognized">,
    ctx: Parameters<Handler<"FaceRecognized">>[1],
  ): Promise<Float32Array | ReturnType<typeof ok> | ReturnType<typeof retry>> {
    let bytes: Uint8Array | null;
    if (r.crop.kind === "inline") bytes = Buffer.from(r.crop.base64, "base64");
    else {
      try {
        bytes = this.d.loadStored ? await this.d.loadStored(r.crop.ref.bucket, r.crop.ref.key) : null;
      } catch (err) {
        return retry(`crop not available: ${(err as Error).message}`, 2000);
      }
    }
    if (!bytes) {
      this.reject("crop-unavailable");
      return ok();
    }
    try {
      const chip = decodeChip(bytes);
      const size = this.d.embedder.spec.inputSize;
      if (chip.width !== size || chip.height !== size) {
        ctx.log.warn({ detectionId: r.detectionId, width: chip.width, size }, "crop is not this model's chip; not learned from");
        this.reject("bad-crop");
        return ok();
      }
      return (await this.d.embedder.embed([chip]))[0] as Float32Array;
    } catch (err) {
      if (err instanceof ImageDecodeError) {
        this.reject("bad-crop");
        return ok();
      }
      throw err;
    }
  }

  private reject(reason: keyof GrowthStats["rejected"]): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  private readonly recognized: Handler<"FaceRecognized"> = async (env, ctx) => {
    const r = env.data;
    this.stats.seen++;
    const candidate: GrowthCandidate = {
      personId: r.personId,
      decision: r.decision,
      votes: r.votes,
      quality: r.quality.score,
      at: Date.parse(r.frameAt),
    };
    if (this.refuted.has(`${r.personId}|${r.trackId}`)) {
      this.reject("refuted");
      return ok();
    }
    // the cheap checks first: most recognitions never need an embedding
    const pre = precheckGrowth(this.gallery, candidate, this.d.options);
    if (pre) {
      this.reject(pre.reason);
      return ok();
    }
    const embedded = await this.embedCrop(r, ctx);
    if (!(embedded instanceof Float32Array)) return embedded;
    const embedding = embedded;
    ctx.working();
    const decision = decideGrowth(this.gallery, candidate, embedding, this.d.options);
    if (!decision.accept) {
      this.reject(decision.reason);
      ctx.log.debug(
        { detectionId: r.detectionId, personId: r.personId, reason: decision.reason, detail: decision.detail },
        "not learned",
      );
      return ok();
    }
    const templateId = templateIdOf(r.detectionId);
    const out = await this.writer.execute(
      {
        kind: "add-templates",
        personId: r.personId,
        templates: [
          {
            templateId,
            embedding: { model: this.model, dims: embedding.length, base64: encodeEmbedding(embedding) },
            quality: r.quality,
            crop: r.crop,
            origin: {
              kind: "self-learning",
              cameraId: r.cameraId,
              trackId: r.trackId,
              similarity: decision.similarity,
              margin: decision.margin,
              seenAt: r.frameAt,
              detectionId: r.detectionId,
            },
          },
        ],
        retire: decision.retire.map((old) => ({
          templateId: old,
          by: "trainer",
          reason: `retired for ${templateId}: over the self-learned bound`,
        })),
      },
      {
        id: (e) =>
          e.type === "FaceTemplateReverted"
            ? uuidFrom(`template-retired/${e.data.templateId}`)
            : uuidFrom(`template-added/${templateId}`),
        correlationId: env.correlationId,
        causationId: env.id,
      },
    );
    if ("rejected" in out) {
      // removed meanwhile: the library echo will take them out of the gallery
      ctx.log.info({ personId: r.personId, reason: out.rejected.message }, "not learned: the writer refused it");
      return ok();
    }
    // at once, not when the library echoes it back: the next recognition must see it (near-duplicates, rate)
    this.gallery.add(templateId, r.personId, embedding, { selfLearned: true, addedAt: candidate.at });
    this.stats.added++;
    for (const old of decision.retire) {
      this.gallery.remove(old);
      this.stats.retired++;
    }
    this.stats.templates = this.gallery.size;
    ctx.log.info(
      {
        personId: r.personId,
        templateId,
        similarity: Number(decision.similarity.toFixed(4)),
        margin: Number(decision.margin.toFixed(4)),
        retired: decision.retire,
        cameraId: r.cameraId,
      },
      "gallery grew: self-learned template added",
    );
    return ok();
  };
}
