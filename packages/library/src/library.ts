import type { BlobRef, EnvelopeOf, FaceQuality } from "@persona/contracts";

/**
 * The people library as a pure fold over LIBRARY events (`evolve`), shared by the recognizer (its gallery),
 * the CLI (import decisions) and the projections. No I/O here.
 */

export interface TemplateState {
  templateId: string;
  model: string;
  dims: number;
  /** base64 float32 little-endian, as on the wire; decode once where it is used. */
  embeddingBase64: string;
  quality: FaceQuality;
  origin: EnvelopeOf<"FaceTemplateAdded">["data"]["origin"];
  addedAt: string;
  /** sha256 of the enrollment photo when the template came from one. */
  photoSha256: string | null;
}

export interface PersonState {
  personId: string;
  name: string;
  description: string;
  photos: BlobRef[];
  sound: BlobRef | null;
  watchlist: { reason: string } | null;
  source: EnvelopeOf<"PersonEnrolled">["data"]["source"];
  importKey: string | null;
  enrolledAt: string;
  updatedAt: string;
  templates: Map<string, TemplateState>;
}

export interface LibraryState {
  people: Map<string, PersonState>;
  /** importKey -> personId, for idempotent imports. */
  byImportKey: Map<string, string>;
  /** Last applied LIBRARY stream sequence. */
  seq: number;
}

export type LibraryEvent = EnvelopeOf<
  "PersonEnrolled" | "PersonUpdated" | "PersonRemoved" | "FaceTemplateAdded" | "FaceTemplateReverted" | "EnrollmentRejected"
>;

export const LIBRARY_EVENT_TYPES = [
  "PersonEnrolled",
  "PersonUpdated",
  "PersonRemoved",
  "FaceTemplateAdded",
  "FaceTemplateReverted",
  "EnrollmentRejected",
] as const satisfies readonly LibraryEvent["type"][];

export function emptyLibrary(): LibraryState {
  return { people: new Map(), byImportKey: new Map(), seq: 0 };
}

/** What changed, so a gallery can update incrementally. */
export type LibraryChange =
  | { kind: "person-upserted"; personId: string }
  | { kind: "person-removed"; personId: string }
  | { kind: "template-added"; personId: string; templateId: string }
  | { kind: "template-removed"; personId: string; templateId: string }
  | { kind: "none" };

/**
 * Applies one event in place and says what changed. Events about unknown people (for example a template of a
 * removed person arriving late) change nothing. Re-applying an event changes nothing either.
 */
export function evolve(state: LibraryState, event: LibraryEvent, seq?: number): LibraryChange {
  if (seq !== undefined) {
    if (seq <= state.seq) return { kind: "none" };
    state.seq = seq;
  }
  switch (event.type) {
    case "PersonEnrolled": {
      const d = event.data;
      const existing = state.people.get(d.personId);
      const person: PersonState = {
        personId: d.personId,
        name: d.name,
        description: d.description,
        photos: d.photos,
        sound: d.sound,
        watchlist: existing?.watchlist ?? null,
        source: d.source,
        importKey: d.importKey,
        enrolledAt: existing?.enrolledAt ?? event.occurredAt,
        updatedAt: event.occurredAt,
        templates: existing?.templates ?? new Map(),
      };
      state.people.set(d.personId, person);
      if (d.importKey) state.byImportKey.set(d.importKey, d.personId);
      return { kind: "person-upserted", personId: d.personId };
    }
    case "PersonUpdated": {
      const d = event.data;
      const p = state.people.get(d.personId);
      if (!p) return { kind: "none" };
      if (d.name !== undefined) p.name = d.name;
      if (d.description !== undefined) p.description = d.description;
      if (d.photos !== undefined) p.photos = d.photos;
      if (d.sound !== undefined) p.sound = d.sound;
      if (d.watchlist !== undefined) p.watchlist = d.watchlist;
      p.updatedAt = event.occurredAt;
      return { kind: "person-upserted", personId: d.personId };
    }
    case "PersonRemoved": {
      const p = state.people.get(event.data.personId);
      if (!p) return { kind: "none" };
      state.people.delete(p.personId);
      if (p.importKey && state.byImportKey.get(p.importKey) === p.personId) state.byImportKey.delete(p.importKey);
      return { kind: "person-removed", personId: p.personId };
    }
    case "FaceTemplateAdded": {
      const d = event.data;
      const p = state.people.get(d.personId);
      if (!p || p.templates.has(d.templateId)) return { kind: "none" };
      p.templates.set(d.templateId, {
        templateId: d.templateId,
        model: d.embedding.model,
        dims: d.embedding.dims,
        embeddingBase64: d.embedding.base64,
        quality: d.quality,
        origin: d.origin,
        addedAt: event.occurredAt,
        photoSha256: d.origin.kind === "enrollment" ? d.origin.photo.sha256 : null,
      });
      return { kind: "template-added", personId: d.personId, templateId: d.templateId };
    }
    case "FaceTemplateReverted": {
      const p = state.people.get(event.data.personId);
      if (!p?.templates.delete(event.data.templateId)) return { kind: "none" };
      return { kind: "template-removed", personId: event.data.personId, templateId: event.data.templateId };
    }
    case "EnrollmentRejected":
      return { kind: "none" };
    default: {
      const never: never = event;
      throw new Error(`unhandled library event ${JSON.stringify(never)}`);
    }
  }
}

/** Decodes a base64 float32 little-endian vector. */
export function decodeEmbedding(base64: string, dims: number): Float32Array {
  const buf = Buffer.from(base64, "base64");
  if (buf.length !== dims * 4) throw new Error(`embedding has ${buf.length} bytes, expected ${dims * 4}`);
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function encodeEmbedding(v: Float32Array): string {
  const buf = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i] as number, i * 4);
  return buf.toString("base64");
}
