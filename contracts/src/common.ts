import { z } from "zod";
import { IsoTime, Token } from "./envelope.ts";

/** An object of whole-number counts under these names, in this order (a report's counters). */
export function counts<K extends string>(...names: K[]): z.ZodObject<Record<K, z.ZodNumber>> {
  return z.object(Object.fromEntries(names.map((name) => [name, z.number().int()])) as Record<K, z.ZodNumber>);
}

export const Box = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
});
export type Box = z.infer<typeof Box>;

/** Keypoints in frame pixels: right eye, left eye, nose tip, mouth, right ear, left ear (BlazeFace order). */
export const Keypoints = z
  .array(z.tuple([z.number(), z.number()]))
  .min(2)
  .max(10);
export type Keypoints = z.infer<typeof Keypoints>;

export const FaceQuality = z.object({
  /** Combined quality in [0, 1]; used to gate and to pick best shots. */
  score: z.number().min(0).max(1),
  faceSize: z.number().nonnegative(),
  eyeDistance: z.number().nonnegative(),
  sharpness: z.number().nonnegative(),
  yaw: z.number(),
  pitch: z.number(),
  roll: z.number(),
});
export type FaceQuality = z.infer<typeof FaceQuality>;

/** A blob in a JetStream Object Store bucket. */
export const BlobRef = z.object({
  bucket: z.string().regex(/^[a-z0-9-]+$/),
  key: z.string().min(1).max(255),
  contentType: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BlobRef = z.infer<typeof BlobRef>;

/** Largest crop that may ride inline on an event (base64 of a JPEG). */
export const MAX_INLINE_CROP_BYTES = 96 * 1024;

/** An image either inline (small JPEG crop, base64) or stored in the Object Store. */
export const ImageRef = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("inline"),
    contentType: z.literal("image/jpeg"),
    base64: z.base64().max(Math.ceil((MAX_INLINE_CROP_BYTES * 4) / 3) + 4),
  }),
  z.object({ kind: z.literal("stored"), ref: BlobRef }),
]);
export type ImageRef = z.infer<typeof ImageRef>;

/** A float32 embedding, little-endian, base64, with the model that made it. */
export const Embedding = z.object({
  model: z.string().min(1),
  dims: z.number().int().positive().max(4096),
  base64: z.base64(),
});
export type Embedding = z.infer<typeof Embedding>;

export const PersonId = Token;
/**
 * A person's name as a user gives it (commands and every edge that takes one: API, bot, import): 1-200 characters,
 * no control characters (a BEL in a name broke the camera's live labels). Stored events keep their looser schema.
 */
export const PersonName = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/\p{Cc}/u.test(s), "a name may not contain control characters")
  .refine((s) => s.trim().length > 0, "a name may not be blank");
export const CameraId = Token;
export const TrackId = Token;

export const Severity = z.enum(["low", "medium", "high", "critical"]);
export type Severity = z.infer<typeof Severity>;

export const CameraRole = z.enum(["perimeter", "entrance", "classroom", "exam-room", "desk"]);
export type CameraRole = z.infer<typeof CameraRole>;

export { IsoTime, Token };
