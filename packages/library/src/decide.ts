import { type BlobRef, type DataOf, type FaceQuality, uuidFrom } from "@persona/contracts";
import type { LibraryEvent, LibraryState, PersonState } from "./library.ts";

/**
 * What may change a person, and how: the one pure decider of the people library. Given the library as the LIBRARY
 * events fold it (`evolve`), a command either becomes the events to append or is rejected with a reason. No I/O:
 * `LibraryWriter` (writer.ts) reads the state, calls `decide` and appends what it returns, one person at a time.
 */

type LibraryEventType = LibraryEvent["type"];

/** An event to append: its type, its data, and a key naming it within its command (callers derive ids from it). */
export type EventDraft = {
  [T in LibraryEventType]: { type: T; data: DataOf<T>; key: string };
}[LibraryEventType];

export type RejectionCode = "unknown-person" | "unknown-template";

export interface Rejection {
  code: RejectionCode;
  message: string;
}

export type Decision = { events: EventDraft[] } | { rejected: Rejection };

type Reason = DataOf<"EnrollmentRejected">["reason"];
type Embedding = DataOf<"FaceTemplateAdded">["embedding"];
type ImageRef = DataOf<"FaceTemplateAdded">["crop"];
type TakenFace = NonNullable<Extract<DataOf<"FaceTemplateAdded">["origin"], { kind: "enrollment" }>["face"]>;
type PersonFields = Omit<DataOf<"PersonEnrolled">, "personId">;

/** Whose photo or face this is, when it is another person's. */
export interface DuplicateOf {
  personId: string;
  name: string;
  samePhoto: boolean;
  similarity: number | null;
}

/** What the recognizer made of one enrollment photo: a face to keep, or why it refused the photo. */
export type PhotoOutcome =
  | {
      kind: "face";
      embedding: Embedding;
      quality: FaceQuality;
      crop: ImageRef;
      face?: TakenFace;
      /**
       * Another person whose template this face matches at or above the recognizer's naming threshold (the
       * recognizer searches its gallery; `decide` says what that means), with that threshold.
       */
      sameFace?: DuplicateOf & { threshold: number };
    }
  | { kind: "refused"; reason: Reason; message: string };

/** Answer an EnrollPerson: a new person (or photos of an existing one) with the templates the recognizer computed. */
export interface EnrollCommand {
  kind: "enroll";
  requestId: string;
  personId: string;
  /** Photos for a person already in the library; otherwise a new person is enrolled with the accepted photos. */
  existing: boolean;
  person: PersonFields;
  allowDuplicate: boolean;
  /** The template model of the recognizer answering (a photo already a template of this model is a duplicate). */
  model: string;
  photos: { photo: BlobRef; outcome: PhotoOutcome }[];
}

/** Changes fields of a person, as PersonUpdated carries them. */
export interface UpdatePersonCommand {
  kind: "update-person";
  change: DataOf<"PersonUpdated">;
}

export interface RemovePersonCommand {
  kind: "remove-person";
  personId: string;
  reason: string;
  by: string;
}

/** Templates not from an enrollment photo (self-learned, from a named visitor), optionally retiring others. */
export interface AddTemplatesCommand {
  kind: "add-templates";
  personId: string;
  templates: Omit<DataOf<"FaceTemplateAdded">, "personId">[];
  /** Enroll the person first when they are not in the library (a visitor named as a new person). */
  enrollIfAbsent?: PersonFields;
  /** Templates to revert with them (the self-learned bound): those no longer live are skipped. */
  retire?: { templateId: string; by: string; reason: string }[];
}

export interface RevertTemplateCommand {
  kind: "revert-template";
  personId: string;
  templateId: string;
  by: string;
  reason: string;
}

/** Records a refused enrollment request (changes no person). */
export interface RecordRejectionCommand {
  kind: "record-rejection";
  rejection: DataOf<"EnrollmentRejected">;
}

export type LibraryCommand =
  | EnrollCommand
  | UpdatePersonCommand
  | RemovePersonCommand
  | AddTemplatesCommand
  | RevertTemplateCommand
  | RecordRejectionCommand;

/** The person a command is about (the writer serialises per person), or null. */
export function commandPersonId(c: LibraryCommand): string | null {
  switch (c.kind) {
    case "update-person":
      return c.change.personId;
    case "record-rejection":
      return c.rejection.personId;
    default:
      return c.personId;
  }
}

export const enrollmentTemplateId = (personId: string, sha256: string, model: string) =>
  uuidFrom(`template/${personId}/${sha256}/${model}`);

/** Another person holding a template made from the photo with this sha256 (any model), or null. */
export function samePhotoOwner(state: LibraryState, personId: string, sha256: string): DuplicateOf | null {
  for (const p of state.people.values()) {
    if (p.personId === personId) continue;
    if ([...p.templates.values()].some((t) => t.photoSha256 === sha256)) {
      return { personId: p.personId, name: p.name, samePhoto: true, similarity: null };
    }
  }
  return null;
}

/** The "duplicate-of" refusal's message, naming whose photo or face it is. */
export function duplicateOfMessage(o: DuplicateOf, threshold: number | undefined): string {
  const why = o.samePhoto
    ? "this photo is already one of their templates"
    : `the face matches their template at ${(o.similarity ?? 0).toFixed(3)}, where this recognizer names them from ${(threshold ?? 1).toFixed(3)}`;
  return `duplicate-of ${o.personId} (${o.name}): ${why}; send it again with allow-duplicate to enroll it anyway`;
}

export interface PhotoRefusal {
  reason: Reason;
  message: string;
  duplicateOf?: DuplicateOf;
}

/**
 * The refusals of an enrollment photo that the library alone decides, before any face is looked at: the person is
 * not in the library (`existing`), the photo is already one of their templates of this model (one made by another
 * model does not count: that is how a library moves to a new model), or it is another person's (unless duplicates
 * are allowed). The recognizer asks first to spare the work; `decide` asks again under the person's lock.
 */
export function photoRefusal(
  state: LibraryState,
  c: { personId: string; existing: boolean; allowDuplicate: boolean; model: string },
  photo: BlobRef,
): PhotoRefusal | null {
  const person = state.people.get(c.personId);
  if (c.existing && !person)
    return { reason: "unknown-person", message: `person ${c.personId} is not in the library (removed?)` };
  if (person && [...person.templates.values()].some((t) => t.photoSha256 === photo.sha256 && t.model === c.model)) {
    return { reason: "duplicate", message: `this photo is already one of the person's templates (model ${c.model})` };
  }
  const samePhoto = c.allowDuplicate ? null : samePhotoOwner(state, c.personId, photo.sha256);
  if (samePhoto) return { reason: "duplicate-of", message: duplicateOfMessage(samePhoto, undefined), duplicateOf: samePhoto };
  return null;
}

function decideEnroll(c: EnrollCommand, state: LibraryState): Decision {
  const isNew = !c.existing && !state.people.has(c.personId);
  const answers: EventDraft[] = [];
  const accepted: BlobRef[] = [];
  for (const { photo, outcome } of c.photos) {
    let refusal = photoRefusal(state, c, photo);
    if (!refusal && outcome.kind === "refused") refusal = { reason: outcome.reason, message: outcome.message };
    if (!refusal && outcome.kind === "face" && outcome.sameFace && !c.allowDuplicate) {
      const { threshold, ...o } = outcome.sameFace;
      refusal = { reason: "duplicate-of", message: duplicateOfMessage(o, threshold), duplicateOf: o };
    }
    if (refusal || outcome.kind !== "face") {
      const r = refusal as PhotoRefusal;
      answers.push({
        type: "EnrollmentRejected",
        key: `rejected/${photo.sha256}`,
        data: {
          requestId: c.requestId,
          personId: c.personId,
          name: c.person.name,
          reason: r.reason,
          message: `${photo.key}: ${r.message}`,
          ...(r.duplicateOf ? { duplicateOf: r.duplicateOf } : {}),
        },
      });
      continue;
    }
    accepted.push(photo);
    answers.push({
      type: "FaceTemplateAdded",
      key: `template/${photo.sha256}`,
      data: {
        personId: c.personId,
        templateId: enrollmentTemplateId(c.personId, photo.sha256, c.model),
        embedding: outcome.embedding,
        quality: outcome.quality,
        crop: outcome.crop,
        origin: { kind: "enrollment", photo, ...(outcome.face ? { face: outcome.face } : {}) },
      },
    });
  }
  const enrolled: EventDraft[] =
    isNew && accepted.length > 0
      ? [{ type: "PersonEnrolled", key: "enrolled", data: { ...c.person, personId: c.personId, photos: accepted } }]
      : [];
  return { events: [...enrolled, ...answers] };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** True when the update would change something about the person. */
function changes(p: PersonState, d: DataOf<"PersonUpdated">): boolean {
  return (
    (d.name !== undefined && d.name !== p.name) ||
    (d.description !== undefined && d.description !== p.description) ||
    (d.photos !== undefined && !same(d.photos, p.photos)) ||
    (d.sound !== undefined && !same(d.sound, p.sound)) ||
    (d.watchlist !== undefined && !same(d.watchlist, p.watchlist))
  );
}

const unknownPerson = (personId: string): Decision => ({
  rejected: { code: "unknown-person", message: `person ${personId} is not in the library (removed?)` },
});

function decideAddTemplates(c: AddTemplatesCommand, state: LibraryState): Decision {
  const person = state.people.get(c.personId);
  if (!person && !c.enrollIfAbsent) return unknownPerson(c.personId);
  const events: EventDraft[] = [];
  if (!person && c.enrollIfAbsent) {
    events.push({ type: "PersonEnrolled", key: "enrolled", data: { ...c.enrollIfAbsent, personId: c.personId } });
  }
  const seen = new Set<string>();
  for (const t of c.templates) {
    // a template already in the library (a redelivered cause) or twice in the command is added once
    if (person?.templates.has(t.templateId) || seen.has(t.templateId)) continue;
    seen.add(t.templateId);
    events.push({ type: "FaceTemplateAdded", key: `template-added/${t.templateId}`, data: { ...t, personId: c.personId } });
  }
  for (const r of c.retire ?? []) {
    if (!person?.templates.has(r.templateId)) continue;
    events.push({
      type: "FaceTemplateReverted",
      key: `template-reverted/${r.templateId}`,
      data: { personId: c.personId, templateId: r.templateId, by: r.by, reason: r.reason },
    });
  }
  return { events };
}

/**
 * Decides a command against the library:
 *
 * - `enroll`: per photo, in order, a `FaceTemplateAdded` (origin enrollment) or an `EnrollmentRejected` (see
 *   `photoRefusal`, then the recognizer's own refusal, then a face matching another person's unless duplicates are
 *   allowed), preceded by `PersonEnrolled` (with the accepted photos) for a new person with at least one accepted photo.
 * - `update-person`: the person must be in the library; an update that changes nothing gives no event.
 * - `remove-person`: the person must be in the library.
 * - `add-templates`: the person must be in the library (or `enrollIfAbsent` enrolls them first); templates already
 *   there are skipped, and only live templates are retired.
 * - `revert-template`: the person must be in the library and the template one of theirs, live.
 * - `record-rejection`: always recorded.
 */
export function decide(command: LibraryCommand, state: LibraryState): Decision {
  switch (command.kind) {
    case "enroll":
      return decideEnroll(command, state);
    case "update-person": {
      const d = command.change;
      const p = state.people.get(d.personId);
      if (!p) return unknownPerson(d.personId);
      return { events: changes(p, d) ? [{ type: "PersonUpdated", key: "updated", data: d }] : [] };
    }
    case "remove-person": {
      if (!state.people.has(command.personId)) return unknownPerson(command.personId);
      const { personId, reason, by } = command;
      return { events: [{ type: "PersonRemoved", key: "removed", data: { personId, reason, by } }] };
    }
    case "add-templates":
      return decideAddTemplates(command, state);
    case "revert-template": {
      const { personId, templateId, by, reason } = command;
      const p = state.people.get(personId);
      if (!p) return unknownPerson(personId);
      if (!p.templates.has(templateId)) {
        return {
          rejected: { code: "unknown-template", message: `${p.name} (${personId}) has no template ${templateId} (reverted?)` },
        };
      }
      return {
        events: [
          { type: "FaceTemplateReverted", key: `template-reverted/${templateId}`, data: { personId, templateId, by, reason } },
        ],
      };
    }
    case "record-rejection":
      return {
        events: [{ type: "EnrollmentRejected", key: `rejected/${command.rejection.requestId}`, data: command.rejection }],
      };
    default: {
      const never: never = command;
      throw new Error(`unknown library command ${JSON.stringify(never)}`);
    }
  }
}
