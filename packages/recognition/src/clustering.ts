/**
 * Incremental density clustering of unknown faces (DBSCAN-like, as immich clusters its people), pure.
 *
 * A face is a *core* face when at least `minFaces` faces (itself included) lie within `maxDistance` (cosine
 * distance, 1 - similarity of unit embeddings). Core faces within `maxDistance` of each other belong to the same
 * cluster (connected components, kept with union-find as faces arrive); a non-core face joins the cluster of its
 * nearest core neighbour. Adding a face can make it and its neighbours core, which can grow or merge clusters; a
 * merged cluster keeps the id of its oldest member, so a visitor's id is stable.
 *
 * Memory is bounded by `maxFaces`: beyond it the oldest faces that belong to no cluster are forgotten first.
 * Neighbour search is brute force over unit vectors (~1 ms per face per 10,000 stored 128-d faces).
 */
import { dot, unitCopy } from "./vectors.ts";

export interface ClusterOptions {
  /** Faces (itself included) within maxDistance that make a face a core face. */
  minFaces: number;
  /** Cosine distance (1 - similarity). */
  maxDistance: number;
  /** Faces kept in memory. */
  maxFaces: number;
}

/**
 * Defaults for dlib-resnet29 single-crop embeddings, tuned with `persona eval selflearn`
 * (services/trainer/src/visitors/README.md).
 */
export const CLUSTER_DEFAULTS: ClusterOptions = { minFaces: 3, maxDistance: 0.05, maxFaces: 50_000 };

export interface FaceInput {
  /** Unique id (the detection id). */
  id: string;
  embedding: ArrayLike<number>;
  /** Whatever the caller wants back with the cluster's members (camera, track, quality, crop...). */
  at: number;
}

interface Face {
  id: string;
  /** Arrival order; the cluster id is the id of its lowest-order core face. */
  order: number;
  v: Float32Array;
  at: number;
  neighbours: number[];
  core: boolean;
  /** union-find parent (an order), core faces only */
  parent: number;
}

export interface ClusterChange {
  /** Clusters (by id) whose membership changed with this face. */
  changed: string[];
  /** Clusters absorbed into another: [absorbed id, surviving id]. */
  merged: [string, string][];
  /** The cluster the new face belongs to now, or null (noise so far). */
  clusterOf: string | null;
}

export class IncrementalClusters {
  readonly options: ClusterOptions;
  readonly #faces = new Map<number, Face>();
  readonly #byId = new Map<string, number>();
  #next = 0;

  constructor(options: ClusterOptions) {
    if (!Number.isInteger(options.minFaces) || options.minFaces < 2)
      throw new RangeError(`minFaces must be an integer >= 2, got ${options.minFaces}`);
    if (!(options.maxDistance > 0 && options.maxDistance < 2))
      throw new RangeError(`maxDistance must be in (0, 2), got ${options.maxDistance}`);
    this.options = options;
  }

  get size(): number {
    return this.#faces.size;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Adds one face; returns which clusters changed. Adding an id again changes nothing. */
  add(input: FaceInput): ClusterChange {
    const known = this.#byId.get(input.id);
    if (known !== undefined) return { changed: [], merged: [], clusterOf: this.clusterIdOfOrder(known) };
    const v = unit(input.embedding);
    const minSim = 1 - this.options.maxDistance;
    const order = this.#next++;
    const face: Face = { id: input.id, order, v, at: input.at, neighbours: [], core: false, parent: order };
    const before = new Map<number, string | null>();
    for (const f of this.#faces.values()) {
      if (dot(v, f.v) >= minSim) {
        face.neighbours.push(f.order);
        f.neighbours.push(order);
        before.set(f.order, this.clusterIdOfOrder(f.order));
      }
    }
    this.#faces.set(order, face);
    this.#byId.set(input.id, order);
    // who becomes core now: the new face, and neighbours whose count just reached minFaces
    const newlyCore: Face[] = [];
    const need = this.options.minFaces - 1;
    if (face.neighbours.length >= need) newlyCore.push(face);
    for (const n of face.neighbours) {
      const f = this.#faces.get(n) as Face;
      if (!f.core && f.neighbours.length >= need) newlyCore.push(f);
    }
    const fresh = new Set(newlyCore.map((f) => f.order));
    const merges: [number, number][] = [];
    const union = (a: number, b: number) => {
      const ra = this.#find(a);
      const rb = this.#find(b);
      if (ra === rb) return;
      const aOld = !fresh.has(ra);
      const bOld = !fresh.has(rb);
      // an existing cluster keeps its id; two existing clusters merge into the older one
      const keep = aOld === bOld ? Math.min(ra, rb) : aOld ? ra : rb;
      const gone = keep === ra ? rb : ra;
      if (aOld && bOld) merges.push([gone, keep]);
      (this.#faces.get(gone) as Face).parent = keep;
    };
    for (const c of newlyCore) {
      c.core = true;
      c.parent = c.order;
    }
    for (const c of newlyCore) for (const n of c.neighbours) if ((this.#faces.get(n) as Face).core) union(c.order, n);
    const changed = new Set<string>();
    const clusterOf = this.clusterIdOfOrder(order);
    if (clusterOf !== null) changed.add(clusterOf);
    for (const c of newlyCore) changed.add(this.clusterIdOfOrder(c.order) as string);
    for (const [n, was] of before) {
      const now = this.clusterIdOfOrder(n);
      if (now !== was && now !== null) changed.add(now);
    }
    const realMerges = merges.map(
      ([gone, keep]) => [(this.#faces.get(gone) as Face).id, this.clusterIdOfOrder(keep) as string] as [string, string],
    );
    for (const [gone] of realMerges) changed.delete(gone);
    this.#evict();
    return { changed: [...changed], merged: realMerges, clusterOf };
  }

  /** The id of the cluster a face belongs to, or null. */
  clusterOf(id: string): string | null {
    const o = this.#byId.get(id);
    return o === undefined ? null : this.clusterIdOfOrder(o);
  }

  /** Member face ids of a cluster (core and border), oldest first. */
  members(clusterId: string): string[] {
    const out: { id: string; order: number }[] = [];
    for (const f of this.#faces.values()) if (this.clusterIdOfOrder(f.order) === clusterId) out.push(f);
    return out.sort((a, b) => a.order - b.order).map((f) => f.id);
  }

  /** Every cluster with its member ids. */
  clusters(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const f of [...this.#faces.values()].sort((a, b) => a.order - b.order)) {
      const c = this.clusterIdOfOrder(f.order);
      if (c === null) continue;
      const list = out.get(c) ?? [];
      list.push(f.id);
      out.set(c, list);
    }
    return out;
  }

  private clusterIdOfOrder(order: number): string | null {
    const f = this.#faces.get(order);
    if (!f) return null;
    if (f.core) return (this.#faces.get(this.#find(order)) as Face).id;
    // border: the nearest core neighbour's cluster
    let best: Face | null = null;
    let bestSim = Number.NEGATIVE_INFINITY;
    for (const n of f.neighbours) {
      const g = this.#faces.get(n);
      if (!g?.core) continue;
      const s = dot(f.v, g.v);
      if (s > bestSim) {
        bestSim = s;
        best = g;
      }
    }
    return best ? (this.#faces.get(this.#find(best.order)) as Face).id : null;
  }

  #find(order: number): number {
    let r = order;
    for (;;) {
      const p = (this.#faces.get(r) as Face).parent;
      if (p === r) break;
      r = p;
    }
    // path compression
    let x = order;
    while (x !== r) {
      const f = this.#faces.get(x) as Face;
      const p = f.parent;
      f.parent = r;
      x = p;
    }
    return r;
  }

  /**
   * Forgets faces (retention). Meant for whole clusters and for faces in no cluster: the remaining faces lose them as
   * neighbours, but a core face stays core (the structure never demotes), so forgetting part of a cluster could
   * leave it looser than a fresh clustering of what remains would.
   */
  forget(ids: Iterable<string>): number {
    let n = 0;
    for (const id of ids) {
      const order = this.#byId.get(id);
      if (order === undefined) continue;
      const f = this.#faces.get(order) as Face;
      for (const m of f.neighbours) {
        const g = this.#faces.get(m);
        if (g) g.neighbours = g.neighbours.filter((x) => x !== order);
      }
      this.#faces.delete(order);
      this.#byId.delete(id);
      n++;
    }
    return n;
  }

  /** Forgets the oldest faces that are in no cluster while over `maxFaces`. Clustered faces are kept. */
  #evict(): void {
    if (this.#faces.size <= this.options.maxFaces) return;
    for (const f of this.#faces.values()) {
      if (this.#faces.size <= this.options.maxFaces) return;
      if (f.core || this.clusterIdOfOrder(f.order) !== null) continue;
      for (const n of f.neighbours) {
        const g = this.#faces.get(n);
        if (g) g.neighbours = g.neighbours.filter((x) => x !== f.order);
      }
      this.#faces.delete(f.order);
      this.#byId.delete(f.id);
    }
  }
}

/**
 * Purity of a clustering against true labels: the share of clustered faces that carry their cluster's majority
 * label (1 when nothing is clustered), and the per-cluster detail.
 */
export function clusterPurity(
  clusters: ReadonlyMap<string, readonly string[]>,
  labelOf: (faceId: string) => string,
): { purity: number; clustered: number; clusters: { id: string; size: number; label: string; majority: number }[] } {
  let clustered = 0;
  let majoritySum = 0;
  const detail: { id: string; size: number; label: string; majority: number }[] = [];
  for (const [id, members] of clusters) {
    const counts = new Map<string, number>();
    for (const m of members) counts.set(labelOf(m), (counts.get(labelOf(m)) ?? 0) + 1);
    let label = "";
    let majority = 0;
    for (const [l, n] of counts)
      if (n > majority) {
        label = l;
        majority = n;
      }
    clustered += members.length;
    majoritySum += majority;
    detail.push({ id, size: members.length, label, majority });
  }
  return { purity: clustered === 0 ? 1 : majoritySum / clustered, clustered, clusters: detail };
}

function unit(v: ArrayLike<number>): Float32Array {
  const copy = unitCopy(v);
  if (!(copy.norm > 0) || !Number.isFinite(copy.norm)) throw new RangeError("embedding is zero or not finite");
  return copy.unit;
}
