import { createHash } from "node:crypto";
import type { Bus } from "@persona/bus";
import type { BlobRef, ImageRef } from "@persona/contracts";
import { sniffImage } from "./parse.ts";

/** Downloading a chat's photo from Telegram and storing it where the recognizer reads enrollment photos. */

export class MediaError extends Error {
  override name = "MediaError";
  constructor(
    readonly reason: "too-large" | "not-an-image" | "download-failed",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Fetches a Telegram file link, at most `maxBytes` (a file whose size Telegram did not report, or reported wrongly,
 * is cut off and refused). Only http(s): a local Bot API server's file: paths never reach the file system here.
 * Errors never contain the URL, which holds the bot token.
 */
export async function downloadCapped(url: URL, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new MediaError("download-failed", "the Bot API returned a local file path; only http(s) downloads are allowed");
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new MediaError("download-failed", `the download failed (${(err as Error).name})`);
  }
  if (!res.ok || !res.body) throw new MediaError("download-failed", `the download failed (HTTP ${res.status})`);
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new MediaError("too-large", `the file is larger than ${(maxBytes / (1024 * 1024)).toFixed(0)} MB`);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new MediaError("too-large", `the file is larger than ${(maxBytes / (1024 * 1024)).toFixed(0)} MB`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Puts an image into the `photos` bucket under `<personId>/<sha256>.<ext>` (the key `persona import` uses), unless
 * the same content is already there. The type comes from the bytes; anything that is not an image is refused.
 */
export async function storePhoto(bus: Bus, personId: string, bytes: Buffer, label: string): Promise<BlobRef> {
  const type = sniffImage(bytes);
  if (!type) throw new MediaError("not-an-image", `${label} is not a JPEG, PNG, WebP or BMP image`);
  const sha256 = sha256Hex(bytes);
  const ref: BlobRef = {
    bucket: "photos",
    key: `${personId}/${sha256}.${type.ext}`,
    contentType: type.contentType,
    size: bytes.length,
    sha256,
  };
  const store = await bus.objectStore("photos");
  const existing = await store.info(ref.key);
  if (existing === null || existing.deleted || existing.size !== bytes.length) {
    await store.putBlob({ name: ref.key, description: `enrolled from Telegram: ${label}`.slice(0, 200) }, bytes);
  }
  return ref;
}

/** The bytes of an image carried inline or stored in a bucket. */
export async function imageBytes(bus: Bus, image: ImageRef): Promise<Buffer> {
  if (image.kind === "inline") return Buffer.from(image.base64, "base64");
  const store = await bus.objectStore(image.ref.bucket);
  const data = await store.getBlob(image.ref.key);
  if (!data) throw new Error(`the image ${image.ref.bucket}/${image.ref.key} is no longer stored`);
  return Buffer.from(data);
}
