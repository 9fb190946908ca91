/**
 * The image types a person's photo may be (the portal, the bot and the CLI take the same ones, and the recognizer
 * decodes them), told from the file's first bytes, never from its name or a claimed MIME type.
 */

export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/bmp"] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The photo type of a file by its first bytes (64 are plenty) and the extension its object key gets; null when none. */
export function sniffImage(head: Uint8Array): { contentType: PhotoType; ext: string } | null {
  const b = head;
  const ascii = (from: number, length: number) => String.fromCharCode(...b.subarray(from, from + length));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { contentType: "image/jpeg", ext: "jpg" };
  if (b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v)) return { contentType: "image/png", ext: "png" };
  if (b.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP") return { contentType: "image/webp", ext: "webp" };
  // the 14-byte file header a BMP starts with
  if (b.length >= 14 && ascii(0, 2) === "BM") return { contentType: "image/bmp", ext: "bmp" };
  return null;
}
