import { createHash } from "node:crypto";
import { type Bus, type ConsumerLoop, type Handler, ok } from "@persona/bus";
import { type BlobRef, CONSUMERS, type DataOf, type RejectionReason, uuidFrom } from "@persona/contracts";
import {
  type DuplicateOf,
  LibraryWriter,
  type PhotoOutcome,
  encodeEmbedding,
  photoRefusal,
  samePhotoOwner as samePhotoOwnerIn,
} from "@persona/library";
import {
  type AlignedDetection,
  type Embedder,
  type FaceDetector,
  type LandmarkDetector,
  ImageDecodeError,
  decodeImage,
  detectAndAlign,
  encodeJpeg,
  qualitySummary,
  templateModelName,
} from "@persona/vision";
import type { z } from "zod";

import type { LibraryGallery } from "@persona/recognition/gallery";

export interface EnrollmentDeps {
  bus: Bus;
  embedder: Embedder;
  detector: FaceDetector;
  /** Aligns enrollment photos from 68 landmarks (as the cameras do with ALIGN_LANDMARKS=auto); null: keypoints. */
  landmarks?: LandmarkDetector | null;
  gallery: LibraryGallery;
  /** A second face at most this fraction of the main face's area is ignored as background. Default 0.4. */
  backgroundFaceRatio?: number;
  /** Reads a photo from the Object Store. */
  loadPhoto: (ref: BlobRef) => Promise<Uint8Array>;
  /**
   * A face at or above this similarity to another person's template is theirs: the photo is rejected "duplicate-of"
   * unless the command allows duplicates. The recognizer's naming threshold (a face it would name as them); omitted,
   * only the same photo file counts.
   */
  duplicateThreshold?: number;
  /** Appends the answers to LIBRARY; default a LibraryWriter over `bus` that knows other people from `gallery`. */
  writer?: LibraryWriter;
}

export type { DuplicateOf };

/** Another person holding a template made from the photo with this sha256 (any model), or null. */
export function samePhotoOwner(gallery: LibraryGallery, personId: string, sha256: string): DuplicateOf | null {
  return samePhotoOwnerIn(gallery.library, personId, sha256);
}

/** Another person whose closest template is at least `threshold` similar to `embedding`, or null. */
export function sameFaceOwner(
  gallery: LibraryGallery,
  personId: string,
  embedding: Float32Array,
  threshold: number,
): DuplicateOf | null {
  const best = gallery.gallery.searchPeople(embedding, 2).find((m) => m.personId !== personId);
  if (!best || best.similarity < threshold) return null;
  const name = gallery.library.people.get(best.personId)?.name ?? best.personId;
  return { personId: best.personId, name, samePhoto: false, similarity: best.similarity };
}

type Reason = z.infer<typeof RejectionReason>;

export class PhotoRejected extends Error {
  override name = "PhotoRejected";
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
  }
}

/** Which face of an enrollment photo was taken and why. */
export interface EnrollmentPick {
  readonly face: AlignedDetection;
  /** Faces the detector found in the photo (the taken one included). */
  readonly faces: number;
  /**
   * "only": the photo's one face; "largest": clearly the largest usable face (the others are much smaller, fail the
   * quality gate or are cut off by the photo's edge); "only-passing": the one usable face, though not the largest;
   * "centred": faces of similar size, and this one covers the photo's centre while the others do not.
   */
  readonly why: "only" | "largest" | "only-passing" | "centred";
}

/** A face with less than this fraction of its box inside the photo is cut off: never taken, never a rival. */
const MIN_INSIDE = 0.85;

/**
 * Picks the face of an enrollment photo: the dominant usable face (passing the quality gate, not cut off by the
 * photo's edge). Unusable faces never make a photo ambiguous, and usable faces much smaller than the largest (at most
 * `backgroundFaceRatio` of its area) are background. When faces of similar size remain, the one covering the photo's
 * centre is the subject when it is a portrait's face (at least a fifth of the photo across: people photographed with
 * others behind or beside them are centred); otherwise (a crowd, a group) the photo is truly ambiguous and refused as
 * "several faces". Measured with YuNet on the first photo of each of LFW's 5,749
 * people (services/recognizer/bench/enrollment-pick.bench.ts): none is refused as several faces, 23 for quality; 372 are taken as "centred", 544 as "largest".
 * Throws PhotoRejected with the reason.
 */
export function pickEnrollmentFace(
  faces: readonly AlignedDetection[],
  image: { readonly width: number; readonly height: number },
  backgroundFaceRatio: number,
): EnrollmentPick {
  if (faces.length === 0) throw new PhotoRejected("no-face", "no face was found in the photo");
  const area = (f: AlignedDetection) => f.box.width * f.box.height;
  const sorted = [...faces].sort((a, b) => area(b) - area(a));
  const usable = sorted.filter((f) => f.gate.pass && insideFraction(f.box, image) >= MIN_INSIDE);
  const main = usable[0];
  if (!main) {
    const largest = sorted[0] as AlignedDetection;
    const why = largest.gate.pass ? "it is cut off by the photo's edge" : largest.gate.reason;
    const more = sorted.length > 1 ? ` (nor are the ${sorted.length - 1} other faces in the photo)` : "";
    throw new PhotoRejected("low-quality", `the face is not good enough to recognise: ${why}${more}`);
  }
  // a second detection overlapping the main face is the same face found twice (a tight face chip, as a sighting's
  // crop is, can be split by the detector's tiles); two people's faces do not overlap that much
  const rivals = usable.slice(1).filter((f) => area(f) > area(main) * backgroundFaceRatio && overlap(f.box, main.box) < 0.3);
  if (rivals.length > 0) {
    const centred = [main, ...rivals].filter((f) => coversCentre(f.box, image));
    const subject = centred.length === 1 ? (centred[0] as AlignedDetection) : null;
    // a portrait's subject fills a good part of it; the face that happens to sit at the centre of a crowd does not
    if (subject && prominent(subject.box, image)) return { face: subject, faces: faces.length, why: "centred" };
    throw new PhotoRejected(
      "several-faces",
      `the photo shows ${rivals.length + 1} faces of similar size and none of them alone at its centre; use a photo of one person`,
    );
  }
  // faces of similar size that fail the gate are no rivals in a portrait, but a small face that alone passes the
  // gate among others like it is just the sharpest face of a group photo or a crowd
  const similar = sorted.filter(
    (f) =>
      f !== main &&
      insideFraction(f.box, image) >= MIN_INSIDE &&
      Math.min(area(f), area(main)) > Math.max(area(f), area(main)) * backgroundFaceRatio &&
      overlap(f.box, main.box) < 0.3,
  );
  if (similar.length > 0 && !prominent(main.box, image)) {
    throw new PhotoRejected(
      "several-faces",
      `the photo shows ${similar.length + 1} faces of similar size (a group or a crowd); use a photo of one person`,
    );
  }
  const why = faces.length === 1 ? "only" : main !== sorted[0] && usable.length === 1 ? "only-passing" : "largest";
  return { face: main, faces: faces.length, why };
}

function insideFraction(b: AlignedDetection["box"], image: { width: number; height: number }): number {
  const w = Math.min(b.x + b.width, image.width) - Math.max(b.x, 0);
  const h = Math.min(b.y + b.height, image.height) - Math.max(b.y, 0);
  return w > 0 && h > 0 ? (w * h) / (b.width * b.height) : 0;
}

/** A face at least this fraction of the photo's shorter side across can be a portrait's subject. */
const MIN_SUBJECT_SIZE = 0.2;

function prominent(b: AlignedDetection["box"], image: { width: number; height: number }): boolean {
  return Math.max(b.width, b.height) >= MIN_SUBJECT_SIZE * Math.min(image.width, image.height);
}

function coversCentre(b: AlignedDetection["box"], image: { width: number; height: number }): boolean {
  const cx = image.width / 2;
  const cy = image.height / 2;
  return b.x <= cx && b.x + b.width >= cx && b.y <= cy && b.y + b.height >= cy;
}

const roundBox = (b: AlignedDetection["box"]) => ({
  x: Math.round(b.x),
  y: Math.round(b.y),
  width: Math.round(b.width),
  height: Math.round(b.height),
});

/** Intersection over the smaller box's area. */
function overlap(a: AlignedDetection["box"], b: AlignedDetection["box"]): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.width * a.height, b.width * b.height);
}

const refused = (reason: Reason, message: string): PhotoOutcome => ({ kind: "refused", reason, message });

/**
 * Checks, detects, picks and embeds one photo of an EnrollPerson command. What the library alone decides (unknown
 * person, the person's own photo, another person's photo) is asked first (`photoRefusal`, the decider's rule) to spare
 * the work; the decider asks again under the person's lock. A face matching another person's template at the
 * naming threshold comes back as `sameFace`: the decider refuses it unless duplicates are allowed.
 */
async function enrollPhoto(d: EnrollmentDeps, c: DataOf<"EnrollPerson">, photo: BlobRef, model: string): Promise<PhotoOutcome> {
  const early = photoRefusal(d.gallery.library, { ...c, allowDuplicate: c.allowDuplicate === true, model }, photo);
  if (early) return refused(early.reason, early.message);
  let bytes: Uint8Array;
  try {
    bytes = await d.loadPhoto(photo);
  } catch (err) {
    return refused("invalid-request", `photo not found in the object store: ${(err as Error).message}`);
  }
  if (createHash("sha256").update(bytes).digest("hex") !== photo.sha256) {
    return refused("invalid-request", "stored photo does not match its sha256");
  }
  try {
    const image = await decodeImage(bytes);
    const faces = await detectAndAlign(image, {
      detector: d.detector,
      template: d.embedder.template,
      landmarks: d.landmarks ?? null,
    });
    const pick = pickEnrollmentFace(faces, image, d.backgroundFaceRatio ?? 0.4);
    const [embedding] = await d.embedder.embed([pick.face.chip]);
    if (!embedding) throw new Error("embedder returned nothing");
    const threshold = d.duplicateThreshold;
    const sameFace =
      c.allowDuplicate || threshold === undefined ? null : sameFaceOwner(d.gallery, c.personId, embedding, threshold);
    const jpeg = await encodeJpeg(pick.face.chip, 85);
    return {
      kind: "face",
      embedding: { model, dims: embedding.length, base64: encodeEmbedding(embedding) },
      quality: qualitySummary(pick.face.quality),
      crop: { kind: "inline", contentType: "image/jpeg", base64: jpeg.toString("base64") },
      face: { box: roundBox(pick.face.box), faces: pick.faces, why: pick.why },
      ...(sameFace && threshold !== undefined ? { sameFace: { ...sameFace, threshold } } : {}),
    };
  } catch (err) {
    if (err instanceof PhotoRejected) return refused(err.reason, err.message);
    if (err instanceof ImageDecodeError) return refused("bad-image", `not a usable image: ${err.message}`);
    throw err;
  }
}

/**
 * Handles EnrollPerson: for each photo, detect exactly one good face and embed it; the library writer decides the
 * answers (FaceTemplateAdded, preceded by PersonEnrolled for a new person with at least one accepted photo, or
 * EnrollmentRejected) and appends them. Every answer names the command as its cause and has an id derived from it,
 * so a redelivered command changes nothing.
 */
export function enrollmentHandler(d: EnrollmentDeps): Handler<"EnrollPerson"> {
  const model = templateModelName(d.embedder);
  const writer = d.writer ?? new LibraryWriter({ bus: d.bus, library: () => d.gallery.library });
  return async (env, ctx) => {
    const c = env.data;
    const photos: { photo: BlobRef; outcome: PhotoOutcome }[] = [];
    for (const photo of c.photos) {
      ctx.working();
      photos.push({ photo, outcome: await enrollPhoto(d, c, photo, model) });
    }
    ctx.working();
    const out = await writer.execute(
      {
        kind: "enroll",
        requestId: c.requestId,
        personId: c.personId,
        existing: c.existing,
        person: {
          name: c.name,
          description: c.description,
          photos: [],
          sound: c.sound,
          source: c.source,
          importKey: c.importKey,
        },
        allowDuplicate: c.allowDuplicate === true,
        model,
        photos,
      },
      { id: (e) => uuidFrom(`enroll/${env.id}/${e.key}`), correlationId: env.correlationId, causationId: env.id },
    );
    const events = "events" in out ? out.events : [];
    const accepted = events.filter((e) => e.env.type === "FaceTemplateAdded").length;
    const rejected = events.filter((e) => e.env.type === "EnrollmentRejected").length;
    ctx.log.info({ personId: c.personId, accepted, rejected }, "enrollment handled");
    return ok();
  };
}

/** Starts the enrollment consumer (durable `enrollment` on COMMANDS, shared by all recognizer replicas). */
export async function startEnrollmentHandler(d: EnrollmentDeps & { concurrency?: number }): Promise<ConsumerLoop> {
  const decl = CONSUMERS.find((c) => c.durable === "enrollment");
  if (!decl) throw new Error("the topology declares no 'enrollment' consumer");
  return d.bus.consume({ consumer: decl, concurrency: d.concurrency ?? 1, handlers: { EnrollPerson: enrollmentHandler(d) } });
}
