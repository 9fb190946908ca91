/**
 * The trainer's labelled crops, pure bookkeeping: samples (see classifier/sample.ts) by person plus an "unknown"
 * class, bounded per label (the oldest sighting goes first; enrollment/operator crops only when nothing else is
 * left), with the stream positions they were read up to, so a restart resumes where it stopped. Serialised as a
 * small JSON header followed by the raw samples.
 */
import { SAMPLE_SIZE } from "./classifier/sample.ts";

export type CropSource = "sighting" | "enrollment" | "operator" | "unknown";

export interface BankedCrop {
  id: string;
  personId: string | null;
  source: CropSource;
  at: number;
  sample: Uint8Array;
}

export interface BankLimits {
  maxPerPerson: number;
  maxUnknown: number;
}

const SAMPLE_BYTES = SAMPLE_SIZE * SAMPLE_SIZE;
const MAGIC = "PERSONA-CROPS-1";

export class CropBank {
  private readonly byLabel = new Map<string | null, BankedCrop[]>();
  private readonly ids = new Set<string>();
  readonly names = new Map<string, string>();
  /** Removed people: their crops are refused (a lagging stream must not bring them back) until enrolled again. */
  readonly removed = new Set<string>();
  /** Last stream sequence applied, per stream. */
  readonly seq: Record<string, number> = {};
  /** Bumped on every change (the scheduler trains only when it moved). */
  version = 0;

  constructor(private readonly limits: BankLimits) {}

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds a crop (ignored when its id is known); evicts to the label's bound. Returns whether it was added. */
  add(c: BankedCrop): boolean {
    if (this.ids.has(c.id)) return false;
    if (c.personId !== null && this.removed.has(c.personId)) return false;
    if (c.sample.length !== SAMPLE_BYTES) throw new RangeError(`a sample has ${SAMPLE_BYTES} bytes, got ${c.sample.length}`);
    const list = this.byLabel.get(c.personId) ?? [];
    list.push(c);
    this.byLabel.set(c.personId, list);
    this.ids.add(c.id);
    const max = c.personId === null ? this.limits.maxUnknown : this.limits.maxPerPerson;
    while (list.length > max) {
      let victim = -1;
      for (const [i, x] of list.entries()) {
        if (x.source === "enrollment" || x.source === "operator") continue;
        if (victim < 0 || x.at < (list[victim] as BankedCrop).at) victim = i;
      }
      if (victim < 0) victim = list.reduce((v, x, i) => (x.at < (list[v] as BankedCrop).at ? i : v), 0);
      const [gone] = list.splice(victim, 1);
      if (gone) this.ids.delete(gone.id);
    }
    this.version++;
    return true;
  }

  /** Forgets a person's crops (removal, erasure). */
  removePerson(personId: string): number {
    const list = this.byLabel.get(personId) ?? [];
    for (const c of list) this.ids.delete(c.id);
    this.byLabel.delete(personId);
    this.names.delete(personId);
    this.removed.add(personId);
    if (list.length) this.version++;
    return list.length;
  }

  /** Forgets one crop (a reverted template). */
  removeId(id: string): boolean {
    if (!this.ids.has(id)) return false;
    for (const [label, list] of this.byLabel) {
      const i = list.findIndex((c) => c.id === id);
      if (i >= 0) {
        list.splice(i, 1);
        if (list.length === 0) this.byLabel.delete(label);
        this.ids.delete(id);
        this.version++;
        return true;
      }
    }
    return false;
  }

  crops(): BankedCrop[] {
    return [...this.byLabel.values()].flat();
  }

  counts(): { people: number; unknown: number; perPerson: Record<string, number> } {
    const perPerson: Record<string, number> = {};
    for (const [label, list] of this.byLabel) if (label !== null) perPerson[label] = list.length;
    return { people: Object.keys(perPerson).length, unknown: this.byLabel.get(null)?.length ?? 0, perPerson };
  }

  serialize(): Buffer {
    const crops = this.crops();
    const header = JSON.stringify({
      magic: MAGIC,
      seq: this.seq,
      names: [...this.names],
      removed: [...this.removed],
      crops: crops.map((c) => ({ id: c.id, personId: c.personId, source: c.source, at: c.at })),
    });
    const h = Buffer.from(header, "utf8");
    const out = Buffer.alloc(4 + h.length + crops.length * SAMPLE_BYTES);
    out.writeUInt32LE(h.length, 0);
    h.copy(out, 4);
    for (const [i, c] of crops.entries()) out.set(c.sample, 4 + h.length + i * SAMPLE_BYTES);
    return out;
  }

  static deserialize(buf: Buffer, limits: BankLimits): CropBank {
    const bank = new CropBank(limits);
    const n = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + n).toString("utf8")) as {
      magic: string;
      seq: Record<string, number>;
      names: [string, string][];
      removed?: string[];
      crops: { id: string; personId: string | null; source: CropSource; at: number }[];
    };
    if (header.magic !== MAGIC) throw new Error("not a crop bank file");
    if (buf.length !== 4 + n + header.crops.length * SAMPLE_BYTES) throw new Error("crop bank file is truncated");
    Object.assign(bank.seq, header.seq);
    for (const [k, v] of header.names) bank.names.set(k, v);
    for (const r of header.removed ?? []) bank.removed.add(r);
    for (const [i, c] of header.crops.entries()) {
      const start = 4 + n + i * SAMPLE_BYTES;
      bank.add({ ...c, sample: new Uint8Array(buf.subarray(start, start + SAMPLE_BYTES)) });
    }
    bank.version = 0;
    return bank;
  }
}

/**
 * Unknown crops wait here until their track concludes: only tracks concluded "unknown" feed the unknown class, so an
 * enrolled person's early, unsure shots never teach the classifier that they are unknown.
 */
export class PendingUnknowns {
  private readonly tracks = new Map<string, { at: number; crops: { id: string; sample: Uint8Array; at: number }[] }>();

  constructor(
    private readonly maxTracks = 500,
    private readonly maxPerTrack = 10,
  ) {}

  static key(cameraId: string, trackId: string): string {
    return `${cameraId}/${trackId}`;
  }

  add(key: string, crop: { id: string; sample: Uint8Array; at: number }): void {
    const t = this.tracks.get(key) ?? { at: crop.at, crops: [] };
    if (t.crops.length < this.maxPerTrack) t.crops.push(crop);
    this.tracks.delete(key);
    this.tracks.set(key, t);
    while (this.tracks.size > this.maxTracks) {
      const oldest = this.tracks.keys().next().value as string;
      this.tracks.delete(oldest);
    }
  }

  /** The track's crops, removed from the buffer. */
  take(key: string): { id: string; sample: Uint8Array; at: number }[] {
    const t = this.tracks.get(key);
    this.tracks.delete(key);
    return t?.crops ?? [];
  }

  get size(): number {
    return this.tracks.size;
  }
}
