/**
 * The visitor book, pure: unknown faces go into the incremental clusters; a cluster seen on at least `minVisits`
 * distinct tracks is a visitor, summarised with its best faces, first and last seen, cameras and visit count. It
 * remembers what was last published per visitor, so an unchanged summary is not published again, and which
 * visitors operators named or ignored. Serialisable (the trainer snapshots it to a file).
 */
import { type FaceQuality, uuidFrom } from "@persona/contracts";
import { type ClusterOptions, IncrementalClusters } from "@persona/recognition";

export interface VisitorOptions {
  cluster: ClusterOptions;
  /** Distinct tracks a cluster needs to be a visitor. */
  minVisits: number;
  /** Best faces kept in a visitor's summary (and enrolled when it is named). */
  bestCrops: number;
  /** Retention (the service's expiry runs): visitors last seen longer ago are forgotten; null/absent = keep. */
  retentionMs?: number | null;
}

export const VISITOR_DEFAULTS = { minVisits: 2, bestCrops: 5 } as const;

/** One unknown face (from UnknownFaceSeen), without its crop: the crop stays in the stream at `seq`. */
export interface FaceMeta {
  detectionId: string;
  cameraId: string;
  trackId: string;
  quality: number;
  /** The full quality record of the sighting (kept for templates made when the visitor is named). */
  detail?: FaceQuality;
  /** ms since the epoch (the frame's time) */
  at: number;
  /** SIGHTINGS stream sequence of the UnknownFaceSeen (to fetch its crop). */
  seq: number;
  /** base64 float32 embedding, as on the wire. */
  embedding: string;
}

export interface VisitorSummary {
  visitorId: string;
  faces: number;
  visits: number;
  firstSeen: number;
  lastSeen: number;
  cameras: string[];
  /** Best faces by quality, best first. */
  best: FaceMeta[];
  absorbed: string[];
}

export type VisitorStatus = "named" | "ignored";

/** The visitor id of a cluster: derived from the cluster's id (its oldest core face), so it is stable. */
export const visitorIdOf = (clusterId: string) => uuidFrom(`visitor/${clusterId}`);

export interface BookSnapshot {
  version: 1;
  seq: number;
  faces: FaceMeta[];
  published: Record<string, string>;
  status: Record<string, VisitorStatus>;
  absorbed: Record<string, string[]>;
}

export class VisitorBook {
  readonly clusters: IncrementalClusters;
  readonly faces = new Map<string, FaceMeta>();
  /** visitorId -> signature of the last published summary */
  readonly published = new Map<string, string>();
  readonly status = new Map<string, VisitorStatus>();
  /** visitorId -> visitors it absorbed (merges) */
  readonly absorbed = new Map<string, string[]>();
  /** Last SIGHTINGS sequence applied. */
  seq = 0;

  constructor(
    readonly options: VisitorOptions,
    private readonly decode: (base64: string) => Float32Array,
  ) {
    if (!Number.isInteger(options.minVisits) || options.minVisits < 1) throw new RangeError("minVisits must be >= 1");
    if (!Number.isInteger(options.bestCrops) || options.bestCrops < 1 || options.bestCrops > 8)
      throw new RangeError("bestCrops must be 1..8");
    this.clusters = new IncrementalClusters(options.cluster);
  }

  /** Adds an unknown face; returns the visitors whose summary may have changed (by visitor id). */
  add(face: FaceMeta): string[] {
    if (this.clusters.has(face.detectionId)) return [];
    this.faces.set(face.detectionId, face);
    const change = this.clusters.add({ id: face.detectionId, embedding: this.decode(face.embedding), at: face.at });
    for (const [gone, keep] of change.merged) {
      const k = visitorIdOf(keep);
      const g = visitorIdOf(gone);
      this.absorbed.set(k, [...(this.absorbed.get(k) ?? []), g, ...(this.absorbed.get(g) ?? [])]);
      this.absorbed.delete(g);
      // an operator's decision about the absorbed visitor carries over when the survivor has none
      const st = this.status.get(g);
      if (st && !this.status.has(k)) this.status.set(k, st);
    }
    // faces the clusters forgot (bounded memory) leave the book too
    if (this.faces.size > this.clusters.size)
      for (const id of this.faces.keys()) if (!this.clusters.has(id)) this.faces.delete(id);
    return change.changed.map(visitorIdOf);
  }

  /**
   * The visitor that now stands for `visitorId`: itself, or the visitor that absorbed it in a merge (an operator may
   * decide about a visitor the moment after it was merged, before the merge reached the console).
   */
  survivorOf(visitorId: string): string {
    for (const [survivor, gone] of this.absorbed) if (gone.includes(visitorId)) return survivor;
    return visitorId;
  }

  /** The visitor's summary, or null when its cluster is not (or no longer) a visitor. */
  summary(visitorId: string): VisitorSummary | null {
    for (const [clusterId, members] of this.clusters.clusters()) {
      if (visitorIdOf(clusterId) !== visitorId) continue;
      return this.#summarise(visitorId, members);
    }
    return null;
  }

  /** Every current visitor. */
  visitors(): VisitorSummary[] {
    const out: VisitorSummary[] = [];
    for (const [clusterId, members] of this.clusters.clusters()) {
      const s = this.#summarise(visitorIdOf(clusterId), members);
      if (s) out.push(s);
    }
    return out;
  }

  #summarise(visitorId: string, members: readonly string[]): VisitorSummary | null {
    const faces = members.map((id) => this.faces.get(id)).filter((f): f is FaceMeta => f !== undefined);
    const tracks = new Set(faces.map((f) => `${f.cameraId}/${f.trackId}`));
    if (faces.length === 0 || tracks.size < this.options.minVisits) return null;
    const best = [...faces].sort((a, b) => b.quality - a.quality || a.at - b.at).slice(0, this.options.bestCrops);
    return {
      visitorId,
      faces: faces.length,
      visits: tracks.size,
      firstSeen: Math.min(...faces.map((f) => f.at)),
      lastSeen: Math.max(...faces.map((f) => f.at)),
      cameras: [...new Set(faces.map((f) => f.cameraId))].sort(),
      best,
      absorbed: this.absorbed.get(visitorId) ?? [],
    };
  }

  /**
   * Retention: forgets every visitor last seen before `cutoffMs` (its faces and embeddings, what was published, its
   * merges) unless an operator ignored it (an ignored visitor must stay recognisable, or it would raise alerts
   * again), and every face in no cluster seen before the cutoff. A named visitor's faces are already the person's
   * templates. Returns the forgotten visitors and faces.
   */
  expire(cutoffMs: number): { visitors: string[]; faces: number } {
    const gone: string[] = [];
    const forget: string[] = [];
    for (const [clusterId, members] of this.clusters.clusters()) {
      const visitorId = visitorIdOf(clusterId);
      if (this.status.get(visitorId) === "ignored") continue;
      const last = Math.max(...members.map((id) => this.faces.get(id)?.at ?? Number.NEGATIVE_INFINITY));
      if (last >= cutoffMs) continue;
      forget.push(...members);
      if (this.published.has(visitorId) || this.#summarise(visitorId, members)) gone.push(visitorId);
      this.published.delete(visitorId);
      this.status.delete(visitorId);
      for (const a of this.absorbed.get(visitorId) ?? []) {
        this.published.delete(a);
        this.status.delete(a);
      }
      this.absorbed.delete(visitorId);
    }
    for (const [id, f] of this.faces) if (f.at < cutoffMs && this.clusters.clusterOf(id) === null) forget.push(id);
    const faces = this.clusters.forget(forget);
    for (const id of forget) this.faces.delete(id);
    return { visitors: gone, faces };
  }

  /** What identifies a summary for "has it changed since it was published". */
  static signature(s: VisitorSummary): string {
    return VisitorBook.signatureOf({ ...s, bestIds: s.best.map((b) => b.detectionId) });
  }

  /** The same signature from a published event's fields. */
  static signatureOf(s: {
    faces: number;
    visits: number;
    lastSeen: number;
    cameras: readonly string[];
    bestIds: readonly string[];
    absorbed: readonly string[];
  }): string {
    return JSON.stringify([s.faces, s.visits, s.lastSeen, s.cameras, s.bestIds, s.absorbed]);
  }

  /** "clustered" (first time), "updated", or null when the published summary is the same. */
  publication(s: VisitorSummary): "clustered" | "updated" | null {
    const prev = this.published.get(s.visitorId);
    if (prev === VisitorBook.signature(s)) return null;
    return prev === undefined ? "clustered" : "updated";
  }

  markPublished(s: VisitorSummary): void {
    this.published.set(s.visitorId, VisitorBook.signature(s));
  }

  snapshot(): BookSnapshot {
    return {
      version: 1,
      seq: this.seq,
      faces: [...this.faces.values()],
      published: Object.fromEntries(this.published),
      status: Object.fromEntries(this.status),
      absorbed: Object.fromEntries(this.absorbed),
    };
  }

  /** Rebuilds a book from a snapshot (faces re-added in their order: the clustering is deterministic). */
  static restore(s: BookSnapshot, options: VisitorOptions, decode: (base64: string) => Float32Array): VisitorBook {
    if (s.version !== 1) throw new Error(`unknown visitor snapshot version ${String(s.version)}`);
    const b = new VisitorBook(options, decode);
    for (const f of s.faces) b.add(f);
    b.absorbed.clear();
    for (const [k, v] of Object.entries(s.absorbed)) b.absorbed.set(k, v);
    for (const [k, v] of Object.entries(s.published)) b.published.set(k, v);
    for (const [k, v] of Object.entries(s.status)) b.status.set(k, v);
    b.seq = s.seq;
    return b;
  }
}
