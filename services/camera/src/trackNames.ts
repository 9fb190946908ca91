/**
 * Who the recognizers said each track is, for the live view's labels: fed by `FaceRecognized` and `UnknownFaceSeen`
 * events, looked up by track id. Bounded (oldest tracks forgotten first). Pure.
 */

export type NameKind = "confirmed" | "probable" | "unknown";

export interface TrackName {
  readonly label: string;
  readonly kind: NameKind;
}

const RANK: Record<NameKind, number> = { unknown: 0, probable: 1, confirmed: 2 };

export class TrackNames {
  #names = new Map<string, TrackName>();

  constructor(private readonly maxTracks = 5000) {}

  get size(): number {
    return this.#names.size;
  }

  /** A recognition: a confirmed name replaces anything; a probable one replaces only "unknown" or another probable. */
  recognized(trackId: string, personName: string, decision: "confirmed" | "probable"): void {
    this.#set(trackId, { label: personName, kind: decision });
  }

  /** An unknown face: shown only while the track has no name. */
  unknown(trackId: string): void {
    this.#set(trackId, { label: "unknown", kind: "unknown" });
  }

  get(trackId: string): TrackName | undefined {
    return this.#names.get(trackId);
  }

  #set(trackId: string, name: TrackName): void {
    const old = this.#names.get(trackId);
    if (old && RANK[old.kind] > RANK[name.kind]) return;
    this.#names.delete(trackId);
    this.#names.set(trackId, name);
    while (this.#names.size > this.maxTracks) {
      const oldest = this.#names.keys().next().value;
      if (oldest === undefined) break;
      this.#names.delete(oldest);
    }
  }
}
