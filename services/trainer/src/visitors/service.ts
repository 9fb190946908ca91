/**
 * Unknown visitors, the I/O side. Follows SIGHTINGS from where its snapshot left off (an ordered consumer: the
 * book is rebuilt from the snapshot file, then the stream): UnknownFaceSeen go into the visitor book; a visitor
 * whose summary changed is published (VisitorClustered the first time, then VisitorUpdated) with its best crops,
 * fetched back from the stream. VisitorNamed makes the visitor's best faces templates of a new or an existing
 * person (their exact embeddings, origin operator; a new person is enrolled with the crops as photos in the
 * `photos` bucket); VisitorIgnored is remembered (the portal's alert rules skip ignored visitors).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Bus, Feed } from "@persona/bus";
import {
  type AnyEnvelope,
  AnyEnvelopeSchema,
  type BlobRef,
  type EnvelopeOf,
  type ImageRef,
  isTrialEvent,
  uuidFrom,
} from "@persona/contracts";
import { type AddTemplatesCommand, LibraryWriter, decodeEmbedding } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { SnapshotFile } from "../snapshotFile.ts";
import { type BookSnapshot, type FaceMeta, VisitorBook, type VisitorOptions, type VisitorSummary } from "./book.ts";

export interface VisitorDeps {
  bus: Bus;
  /** Embedding model (as written by the recognizer, e.g. "dlib-resnet29") and its length. */
  model: string;
  dims: number;
  options: VisitorOptions;
  /** Where the snapshot file lives. */
  dataDir: string;
  log: Logger;
  /** Clock for the retention (ms since the epoch). Default Date.now. */
  now?: () => number;
}

/** How often the retention (`VisitorOptions.retentionMs`) is applied. */
export const VISITOR_EXPIRY_INTERVAL_MS = 60 * 60 * 1000;

export class VisitorService {
  book: VisitorBook;
  private feed: Feed | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly file: string;
  private readonly snapshot: SnapshotFile;
  private caughtUpSeq = 0;
  private readonly crops = new Map<string, ImageRef>();
  private readonly writer: LibraryWriter;
  /** Resolves when everything published before `start` has been applied. */
  private caughtUp: Promise<void> = Promise.resolve();
  stats = { faces: 0, published: 0, named: 0, ignored: 0, skippedOtherModel: 0, expiredVisitors: 0, expiredFaces: 0 };

  constructor(private readonly d: VisitorDeps) {
    this.file = join(d.dataDir, "visitors.json");
    this.snapshot = new SnapshotFile(this.file, () => JSON.stringify(this.book.snapshot()), d.log, "the visitor book");
    this.book = new VisitorBook(d.options, this.decode);
    this.writer = new LibraryWriter({ bus: d.bus });
  }

  private readonly decode = (b64: string) => decodeEmbedding(b64, this.d.dims);

  async start(): Promise<void> {
    if (existsSync(this.file)) {
      try {
        const snap = JSON.parse(readFileSync(this.file, "utf8")) as BookSnapshot;
        this.book = VisitorBook.restore(snap, this.d.options, this.decode);
        this.d.log.info({ faces: this.book.faces.size, seq: this.book.seq }, "visitor book loaded");
      } catch (err) {
        this.d.log.warn({ err }, "visitor snapshot unreadable: rebuilding from the stream");
        this.book = new VisitorBook(this.d.options, this.decode);
      }
    }
    const info = await this.d.bus.jsm.streams.info("SIGHTINGS");
    this.caughtUpSeq = info.state.messages > 0 ? info.state.last_seq : 0;
    const from = Math.max(this.book.seq + 1, info.state.first_seq);
    this.feed = await this.d.bus.follow({ stream: "SIGHTINGS", from: { seq: from } });
    let reached: () => void = () => {};
    this.caughtUp = new Promise<void>((r) => {
      reached = r;
    });
    if (this.book.seq >= this.caughtUpSeq) reached();
    const feed = this.feed;
    void (async () => {
      for await (const m of feed) {
        try {
          if (m.env !== null) await this.apply(m.env, m.seq, m.seq >= this.caughtUpSeq);
        } catch (err) {
          this.d.log.warn({ err, seq: m.seq }, "visitors: cannot apply a sighting; skipped");
        }
        this.book.seq = m.seq;
        if (m.seq >= this.caughtUpSeq) {
          if (this.caughtUpSeq > 0 && m.seq === this.caughtUpSeq) await this.reconcile();
          reached();
        }
        this.snapshot.scheduleSave();
      }
    })();
    await this.caughtUp;
    this.d.log.info({ faces: this.book.faces.size, visitors: this.book.visitors().length }, "visitors: caught up");
    if (this.d.options.retentionMs) {
      this.expire();
      this.expiryTimer = setInterval(() => this.expire(), VISITOR_EXPIRY_INTERVAL_MS);
      this.expiryTimer.unref();
    }
  }

  /**
   * Retention: forgets visitors not seen for `retentionMs` (their embeddings too; ignored visitors stay) and stray
   * faces as old, then saves the snapshot so the forgotten embeddings leave the disk as well.
   */
  expire(): { visitors: string[]; faces: number } {
    const ms = this.d.options.retentionMs;
    if (!ms) return { visitors: [], faces: 0 };
    const r = this.book.expire((this.d.now ?? Date.now)() - ms);
    if (r.faces > 0) {
      this.stats.expiredVisitors += r.visitors.length;
      this.stats.expiredFaces += r.faces;
      for (const k of [...this.crops.keys()]) if (!this.book.faces.has(k)) this.crops.delete(k);
      this.save();
      this.d.log.info({ visitors: r.visitors.length, faces: r.faces }, "visitors: retention forgot old visitors and faces");
    }
    return r;
  }

  /** Resolves once the book has applied SIGHTINGS up to `seq`. */
  async waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.book.seq < seq) {
      if (Date.now() > deadline) throw new Error(`visitors did not reach seq ${seq}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** After a replay: publishes every visitor whose summary differs from what was last published. */
  private async reconcile(): Promise<void> {
    for (const s of this.book.visitors()) await this.publishSummary(s);
  }

  async apply(env: AnyEnvelope, seq: number, live: boolean): Promise<void> {
    // a trial camera's unknown faces (persona watch) never join the book
    if (isTrialEvent(env)) return;
    switch (env.type) {
      case "UnknownFaceSeen": {
        const d = env.data;
        if (d.embedding.model !== this.d.model || d.embedding.dims !== this.d.dims) {
          this.stats.skippedOtherModel++;
          return;
        }
        const face: FaceMeta = {
          detectionId: d.detectionId,
          cameraId: d.cameraId,
          trackId: d.trackId,
          quality: d.quality.score,
          detail: d.quality,
          at: Date.parse(d.frameAt),
          seq,
          embedding: d.embedding.base64,
        };
        const changed = this.book.add(face);
        this.stats.faces++;
        if (d.crop.kind === "inline") this.crops.set(d.detectionId, d.crop);
        if (this.crops.size > 2000) for (const k of [...this.crops.keys()].slice(0, 500)) this.crops.delete(k);
        if (!live) return;
        for (const v of changed) {
          const s = this.book.summary(v);
          if (s) await this.publishSummary(s);
        }
        return;
      }
      case "VisitorClustered":
      case "VisitorUpdated":
        // our own publications (or a previous leader's): remember what the stream says was published
        this.book.published.set(
          env.data.visitorId,
          VisitorBook.signatureOf({
            ...env.data,
            lastSeen: Date.parse(env.data.lastSeen),
            bestIds: env.data.bestCrops.map((b) => b.detectionId),
          }),
        );
        return;
      case "VisitorIgnored":
        this.book.status.set(this.book.survivorOf(env.data.visitorId), "ignored");
        this.stats.ignored++;
        return;
      case "VisitorNamed":
        this.book.status.set(this.book.survivorOf(env.data.visitorId), "named");
        this.stats.named++;
        await this.enroll(env);
        return;
      default:
        return;
    }
  }

  private async cropOf(f: FaceMeta): Promise<ImageRef | null> {
    const cached = this.crops.get(f.detectionId);
    if (cached) return cached;
    const m = await this.d.bus.jsm.streams.getMessage("SIGHTINGS", { seq: f.seq }).catch(() => null);
    if (!m) return null; // past the stream's retention
    const env = AnyEnvelopeSchema.safeParse(m.json());
    if (!env.success || env.data.type !== "UnknownFaceSeen" || env.data.data.detectionId !== f.detectionId) return null;
    this.crops.set(f.detectionId, env.data.data.crop);
    return env.data.data.crop;
  }

  private async publishSummary(s: VisitorSummary): Promise<void> {
    const kind = this.book.publication(s);
    if (!kind) return;
    const bestCrops = [];
    for (const b of s.best) {
      const crop = await this.cropOf(b);
      if (crop)
        bestCrops.push({
          detectionId: b.detectionId,
          cameraId: b.cameraId,
          trackId: b.trackId,
          quality: b.quality,
          seenAt: new Date(b.at).toISOString(),
          crop,
          embedding: { model: this.d.model, dims: this.d.dims, base64: b.embedding },
        });
    }
    const data = {
      visitorId: s.visitorId,
      faces: s.faces,
      visits: s.visits,
      firstSeen: new Date(s.firstSeen).toISOString(),
      lastSeen: new Date(s.lastSeen).toISOString(),
      cameras: s.cameras,
      bestCrops,
      absorbed: s.absorbed,
    };
    const id = uuidFrom(`visitor/${s.visitorId}/${VisitorBook.signature(s)}`);
    await this.d.bus.publish(
      kind === "clustered"
        ? this.d.bus.envelope("VisitorClustered", data, { id })
        : this.d.bus.envelope("VisitorUpdated", data, { id }),
    );
    this.book.markPublished(s);
    this.stats.published++;
    this.d.log.info({ visitorId: s.visitorId, faces: s.faces, visits: s.visits, kind }, `visitor ${kind}`);
  }

  /**
   * Naming: the visitor's best faces become the person's templates (exact embeddings); a new person is enrolled. The
   * library writer appends them (templates for a person no longer in the library are refused).
   */
  private async enroll(env: EnvelopeOf<"VisitorNamed">): Promise<void> {
    const n = env.data;
    // a visitor merged into another one: its survivor's faces are the same person's
    const s = this.book.summary(this.book.survivorOf(n.visitorId));
    if (!s) {
      this.d.log.warn({ visitorId: n.visitorId }, "a visitor was named that this trainer does not know (expired or merged)");
      return;
    }
    const faces: { f: FaceMeta; crop: ImageRef | null }[] = [];
    for (const f of s.best) faces.push({ f, crop: await this.cropOf(f) });
    let enrollIfAbsent: AddTemplatesCommand["enrollIfAbsent"];
    if (!n.existing) {
      const photos: BlobRef[] = [];
      const store = await this.d.bus.objectStore("photos");
      for (const { f, crop } of faces) {
        if (crop?.kind !== "inline") continue;
        const bytes = Buffer.from(crop.base64, "base64");
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        const key = `${n.personId}/visitor-${f.detectionId}.jpg`;
        await store.putBlob({ name: key }, bytes);
        photos.push({ bucket: "photos", key, contentType: crop.contentType, size: bytes.length, sha256 });
      }
      enrollIfAbsent = {
        name: n.name,
        description: n.description || `named from visitor ${n.visitorId} by ${n.by}`,
        photos,
        sound: null,
        source: "visitor",
        importKey: null,
      };
    }
    const out = await this.writer.execute(
      {
        kind: "add-templates",
        personId: n.personId,
        ...(enrollIfAbsent ? { enrollIfAbsent } : {}),
        templates: faces.map(({ f, crop }) => ({
          templateId: uuidFrom(`visitor-template/${n.personId}/${f.detectionId}`),
          embedding: { model: this.d.model, dims: this.d.dims, base64: f.embedding },
          quality: f.detail ?? { score: f.quality, faceSize: 0, eyeDistance: 0, sharpness: 0, yaw: 0, pitch: 0, roll: 0 },
          crop,
          origin: { kind: "operator" as const, by: n.by, sightingId: f.detectionId },
        })),
      },
      {
        id: (e) =>
          e.type === "PersonEnrolled"
            ? uuidFrom(`visitor-enrolled/${n.visitorId}/${n.personId}`)
            : uuidFrom(`template-added/${e.type === "FaceTemplateAdded" ? e.data.templateId : e.key}`),
        correlationId: env.correlationId,
        causationId: env.id,
      },
    );
    if ("rejected" in out) {
      this.d.log.warn({ visitorId: n.visitorId, personId: n.personId, reason: out.rejected.message }, "visitor not named");
      return;
    }
    this.d.log.info(
      { visitorId: n.visitorId, personId: n.personId, templates: faces.length, existing: n.existing },
      "visitor named",
    );
  }

  /** Writes the visitor book to its file now. */
  save(): void {
    this.snapshot.save();
  }

  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
    await this.feed?.close().catch(() => {});
    this.feed = undefined;
    this.save();
  }
}
