import { createHash } from "node:crypto";
import type { Bus } from "@persona/bus";
import { type BlobRef, MessageTypes } from "./messageTypes.ts";
import { parseCropLocator } from "./projections/sightings.ts";

/**
 * Media: Object Store objects by validated key only (no path from a request reaches the file system), and the inline
 * crops of sightings, which stay in their SIGHTINGS message (see the sightings projection): the API names such a
 * crop `inline/<sightingId>.jpg` in the `crops` namespace and reads it back with a direct get of the message. A
 * visitor's best faces are named `visitors/<visitorId>/<detectionId>.jpg`: read back from the visitor's latest
 * summary message (VisitorClustered/VisitorUpdated carry them inline), which outlives the unknown faces' own
 * messages.
 */

export const MEDIA_BUCKETS = ["photos", "sounds", "crops"] as const;
export type MediaBucket = (typeof MEDIA_BUCKETS)[number];

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** A key the media routes accept: the contract's pattern, no "." or ".." segment, at most 255 characters. */
export function validMediaKey(key: string): boolean {
  return key.length <= 255 && KEY.test(key) && !key.split("/").some((s) => s === "." || s === "..");
}

const INLINE = /^inline\/([A-Za-z0-9_-]{1,64})\.jpg$/;
const VISITOR = /^visitors\/([0-9a-f-]{36})\/([0-9a-f-]{36})\.jpg$/;
const VISITOR_SUMMARIES = new Set(["VisitorClustered", "VisitorUpdated"]);

/** The API's crop key of one of a visitor's best faces (null when its crop is not in the crops bucket). */
export function visitorCropKeyOf(visitorId: string, detectionId: string, cropId: string): string | null {
  const loc = parseCropLocator(cropId);
  if (loc === null) return null;
  if (loc.kind === "object") return loc.bucket === "crops" ? loc.key : null;
  return `visitors/${visitorId}/${detectionId}.jpg`;
}

/** The API's crop key of a sighting's `cropId` locator (null when it has none). */
export function cropKeyOf(sightingId: string, cropId: string | null): string | null {
  if (cropId === null) return null;
  const loc = parseCropLocator(cropId);
  if (loc === null) return null;
  return loc.kind === "object" ? loc.key : `inline/${sightingId}.jpg`;
}

const TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  bmp: "image/bmp",
  mp3: "audio/mpeg",
};

export function contentTypeOfKey(key: string): string {
  return TYPES[key.split(".").pop()?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

export interface Media {
  bytes: Uint8Array;
  contentType: string;
}

export class MediaStore {
  constructor(
    private readonly bus: Bus,
    /** The sighting's crop locator by id (the sightings read model). */
    private readonly cropOf: (sightingId: string) => Promise<string | null | undefined>,
    /** The crop locator of one of a visitor's best faces (the visitors read model). */
    private readonly visitorCropOf: (visitorId: string, detectionId: string) => Promise<string | null | undefined> = async () =>
      undefined,
  ) {}

  async get(bucket: MediaBucket, key: string): Promise<Media | null> {
    if (!validMediaKey(key)) return null;
    const os = await this.bus.objectStore(bucket);
    const info = await os.info(key);
    if (info !== null && !info.deleted) {
      const bytes = await os.getBlob(key);
      if (bytes !== null) return { bytes, contentType: contentTypeOfKey(key) };
    }
    if (bucket !== "crops") return null;
    const v = VISITOR.exec(key);
    if (v) return this.visitorCrop(v[1] as string, v[2] as string);
    const m = INLINE.exec(key);
    return m ? this.inlineCrop(m[1] as string) : null;
  }

  /** One of a visitor's best faces, from the summary message that carried it inline. */
  private async visitorCrop(visitorId: string, detectionId: string): Promise<Media | null> {
    type Summary = {
      type?: string;
      data?: { bestCrops?: { detectionId?: string; crop?: { kind?: string; base64?: string } }[] };
    };
    return this.fromMessage(await this.visitorCropOf(visitorId, detectionId), (env: Summary) => {
      if (!VISITOR_SUMMARIES.has(env.type ?? "")) return null;
      const crop = env.data?.bestCrops?.find((b) => b.detectionId === detectionId)?.crop;
      if (crop?.kind !== "inline") return null;
      return { bytes: Buffer.from(crop.base64 ?? "", "base64"), contentType: "image/jpeg" };
    });
  }

  /** The bytes of a sighting's crop, wherever it is. */
  async sightingCrop(sightingId: string): Promise<Media | null> {
    const cropId = await this.cropOf(sightingId);
    if (!cropId) return null;
    const loc = parseCropLocator(cropId);
    if (loc === null) return null;
    if (loc.kind === "object") {
      const os = await this.bus.objectStore(loc.bucket);
      const bytes = await os.getBlob(loc.key).catch(() => null);
      return bytes === null ? null : { bytes, contentType: contentTypeOfKey(loc.key) };
    }
    return this.inlineCrop(sightingId);
  }

  private async inlineCrop(sightingId: string): Promise<Media | null> {
    type Sighting = { type?: string; data?: { crop?: { kind?: string; base64?: string } } };
    return this.fromMessage(await this.cropOf(sightingId), (env: Sighting) => {
      if (!MessageTypes.sighting.has(env.type ?? "") || env.data?.crop?.kind !== "inline") return null;
      return { bytes: Buffer.from(env.data.crop.base64 ?? "", "base64"), contentType: "image/jpeg" };
    });
  }

  /**
   * An inline crop read from the SIGHTINGS message a `msg:` crop locator names: `read` picks it out of the message
   * (parsed as JSON); null when the locator is not a message's, the message is gone, or it does not hold the crop.
   */
  private async fromMessage<E>(cropId: string | null | undefined, read: (env: E) => Media | null): Promise<Media | null> {
    const loc = cropId ? parseCropLocator(cropId) : null;
    if (loc?.kind !== "message") return null;
    const msg = await this.bus.jsm.streams.getMessage("SIGHTINGS", { seq: loc.seq }).catch(() => null);
    if (!msg) return null;
    try {
      return read(JSON.parse(new TextDecoder().decode(msg.data)) as E);
    } catch {
      return null;
    }
  }

  /** Puts bytes under `<personId>/<sha256>.<ext>` (unless the same content is there) and returns its BlobRef. */
  async putPersonBlob(
    bucket: "photos" | "sounds",
    personId: string,
    bytes: Uint8Array,
    ext: string,
    contentType: string,
    fileName: string,
  ): Promise<BlobRef> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const ref: BlobRef = { bucket, key: `${personId}/${sha256}.${ext}`, contentType, size: bytes.length, sha256 };
    const os = await this.bus.objectStore(bucket);
    const existing = await os.info(ref.key);
    if (existing === null || existing.deleted || existing.size !== bytes.length) {
      await os.putBlob({ name: ref.key, description: fileName.slice(0, 200) }, bytes);
    }
    return ref;
  }
}

/** True for an MP3 (ID3 tag or an MPEG audio frame sync). */
export function isMp3(b: Uint8Array): boolean {
  if (b.length >= 3 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) return true;
  return b.length >= 2 && b[0] === 0xff && ((b[1] as number) & 0xe0) === 0xe0;
}
