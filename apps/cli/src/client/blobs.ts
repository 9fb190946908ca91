import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Bus } from "@persona/bus";
import type { BlobRef } from "@persona/contracts";
import { CliError } from "../errors.ts";
import type { LocalFile } from "../library/folder.ts";

/** The object key of a person's photo or sound: `<personId>/<sha256>.<ext>` (same content, same key). */
export function blobKey(personId: string, file: Pick<LocalFile, "sha256" | "ext">): string {
  return `${personId}/${file.sha256}.${file.ext}`;
}

export function blobRefOf(bucket: "photos" | "sounds", personId: string, file: LocalFile): BlobRef {
  return { bucket, key: blobKey(personId, file), contentType: file.contentType, size: file.size, sha256: file.sha256 };
}

/**
 * Uploads a local file to the Object Store bucket under its content key, unless an object with the same content is
 * already there (uploading the same folder again sends nothing). The file is hashed again: a file that changed
 * since it was scanned is an error, not a silently different photo.
 */
export async function uploadFile(bus: Bus, bucket: "photos" | "sounds", personId: string, file: LocalFile): Promise<BlobRef> {
  const ref = blobRefOf(bucket, personId, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file.path);
  } catch (err) {
    throw new CliError(`cannot read ${file.path}: ${(err as Error).message}`, 1, { cause: err });
  }
  if (createHash("sha256").update(bytes).digest("hex") !== file.sha256) {
    throw new CliError(`${file.path} changed while importing; run the import again`);
  }
  try {
    const store = await bus.objectStore(bucket);
    const existing = await store.info(ref.key);
    if (existing !== null && !existing.deleted && existing.size === file.size && sameDigest(existing.digest, file.sha256)) {
      return ref;
    }
    await store.putBlob({ name: ref.key, description: file.fileName }, bytes);
    return ref;
  } catch (err) {
    throw new CliError(`cannot upload ${file.fileName} to the ${bucket} bucket: ${(err as Error).message}`, 1, { cause: err });
  }
}

/** The Object Store's digest is "SHA-256=<base64url>" (older clients wrote standard base64). */
function sameDigest(digest: string, sha256Hex: string): boolean {
  const raw = Buffer.from(sha256Hex, "hex");
  const value = digest.replace(/^SHA-256=/i, "");
  return value === raw.toString("base64url") || value === raw.toString("base64");
}
