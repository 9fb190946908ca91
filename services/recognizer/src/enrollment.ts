import { createHash } from "node:crypto";
import { type Bus, type ConsumerLoop, type Handler, ok } from "@persona/bus";
import { type BlobRef, CONSUMERS, type EnvelopeOf, type RejectionReason, uuidFrom } from "@persona/contracts";
import { encodeEmbedding } from "@persona/library";
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

import type { LibraryGallery } from "./libraryGallery.ts";

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
 * centre is the subject (people photographed with others behind or beside them are centred); without one the photo
 * is truly ambiguous and refused as "several faces". Measured with YuNet on the first photo of each of LFW's 5,749
 * people: at most 18 are refused as several faces (the rule without the edge and centre tests refused 507), 23 for quality.
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
    if (centred.length === 1) return { face: centred[0] as AlignedDetection, faces: faces.length, why: "centred" };
    throw new PhotoRejected(
      "several-faces",
      `the photo shows ${rivals.length + 1} faces of similar size and none of them alone at its centre; use a photo of one person`,
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

/**
 * Handles EnrollPerson: for each photo, detect exactly one good face, embed it and answer with FaceTemplateAdded
 * (preceded by PersonEnrolled for a new person with at least one accepted photo) or EnrollmentRejected. Every
 * answer names the command as its cause and has an id derived from it, so a redelivered command changes nothing.
 */
export function enrollmentHandler(d: EnrollmentDeps): Handler<"EnrollPerson"> {
  const ratio = d.backgroundFaceRatio ?? 0.4;
  const model = templateModelName(d.embedder);
  return async (env, ctx) => {
    const c = env.data;
    const meta = (key: string) => ({
      id: uuidFrom(`enroll/${env.id}/${key}`),
      correlationId: env.correlationId,
      causationId: env.id,
    });
    const person = d.gallery.library.people.get(c.personId);
    const reject = (photo: BlobRef | null, reason: Reason, message: string) =>
      d.bus.envelope(
        "EnrollmentRejected",
        {
          requestId: c.requestId,
          personId: c.personId,
          name: c.name,
          reason,
          message: photo ? `${photo.key}: ${message}` : message,
        },
        meta(`rejected/${photo?.sha256 ?? "request"}`),
      );

    const answers: EnvelopeOf<"FaceTemplateAdded" | "EnrollmentRejected">[] = [];
    for (const photo of c.photos) {
      ctx.working();
      if (c.existing && !person) {
        answers.push(reject(photo, "unknown-person", `person ${c.personId} is not in the library (removed?)`));
        continue;
      }
      // a template of this photo made by another model does not count: that is how a library moves to a new model
      // (`persona people reembed`), the old model's templates staying for the recognizers that still run it
      if (person && [...person.templates.values()].some((t) => t.photoSha256 === photo.sha256 && t.model === model)) {
        answers.push(reject(photo, "duplicate", `this photo is already one of the person's templates (model ${model})`));
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = await d.loadPhoto(photo);
      } catch (err) {
        answers.push(reject(photo, "invalid-request", `photo not found in the object store: ${(err as Error).message}`));
        continue;
      }
      if (createHash("sha256").update(bytes).digest("hex") !== photo.sha256) {
        answers.push(reject(photo, "invalid-request", "stored photo does not match its sha256"));
        continue;
      }
      try {
        const image = await decodeImage(bytes);
        const faces = await detectAndAlign(image, {
          detector: d.detector,
          template: d.embedder.template,
          landmarks: d.landmarks ?? null,
        });
        const pick = pickEnrollmentFace(faces, image, ratio);
        const face = pick.face;
        const [embedding] = await d.embedder.embed([face.chip]);
        if (!embedding) throw new Error("embedder returned nothing");
        const jpeg = await encodeJpeg(face.chip, 85);
        answers.push(
          d.bus.envelope(
            "FaceTemplateAdded",
            {
              personId: c.personId,
              templateId: uuidFrom(`template/${c.personId}/${photo.sha256}/${model}`),
              embedding: { model, dims: embedding.length, base64: encodeEmbedding(embedding) },
              quality: qualitySummary(face.quality),
              crop: { kind: "inline", contentType: "image/jpeg", base64: jpeg.toString("base64") },
              origin: {
                kind: "enrollment",
                photo,
                face: { box: roundBox(face.box), faces: pick.faces, why: pick.why },
              },
            },
            meta(`template/${photo.sha256}`),
          ),
        );
      } catch (err) {
        if (err instanceof PhotoRejected) answers.push(reject(photo, err.reason, err.message));
        else if (err instanceof ImageDecodeError) answers.push(reject(photo, "bad-image", `not a usable image: ${err.message}`));
        else throw err;
      }
    }

    const accepted = answers.filter((a) => a.type === "FaceTemplateAdded");
    if (!c.existing && !person && accepted.length > 0) {
      await d.bus.publish(
        d.bus.envelope(
          "PersonEnrolled",
          {
            personId: c.personId,
            name: c.name,
            description: c.description,
            photos: c.photos.filter((p) =>
              accepted.some(
                (a) =>
                  a.type === "FaceTemplateAdded" &&
                  a.data.origin.kind === "enrollment" &&
                  a.data.origin.photo.sha256 === p.sha256,
              ),
            ),
            sound: c.sound,
            source: c.source,
            importKey: c.importKey,
          },
          meta("enrolled"),
        ),
      );
    }
    for (const a of answers) await d.bus.publish(a);
    ctx.log.info(
      { personId: c.personId, accepted: accepted.length, rejected: answers.length - accepted.length },
      "enrollment handled",
    );
    return ok();
  };
}

/** Starts the enrollment consumer (durable `enrollment` on COMMANDS, shared by all recognizer replicas). */
export async function startEnrollmentHandler(d: EnrollmentDeps & { concurrency?: number }): Promise<ConsumerLoop> {
  const decl = CONSUMERS.find((c) => c.durable === "enrollment");
  if (!decl) throw new Error("the topology declares no 'enrollment' consumer");
  return d.bus.consume({ consumer: decl, concurrency: d.concurrency ?? 1, handlers: { EnrollPerson: enrollmentHandler(d) } });
}
