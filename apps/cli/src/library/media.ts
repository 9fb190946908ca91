/**
 * What a file is, from its first bytes (never from its name): the import uploads photos and sounds as they are;
 * decoding and face checks happen in the recognizer. Photos: `sniffImage` of @persona/contracts.
 */

export interface MediaType {
  contentType: string;
  /** Extension used in the object key. */
  ext: string;
}

export const IMAGE_EXTENSIONS = ["jpg", "jpeg", "jpe", "jfif", "png", "webp", "bmp"] as const;
export const SOUND_EXTENSIONS = ["mp3", "wav", "ogg", "oga"] as const;

export function sniffSound(head: Uint8Array): MediaType | null {
  const b = head;
  if (b.length >= 3 && ascii(b, 0, 3) === "ID3") return { contentType: "audio/mpeg", ext: "mp3" };
  // an MPEG audio frame header: 11 sync bits, a valid layer
  if (b.length >= 2 && b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0 && ((b[1] ?? 0) & 0x06) !== 0)
    return { contentType: "audio/mpeg", ext: "mp3" };
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WAVE") return { contentType: "audio/wav", ext: "wav" };
  if (b.length >= 4 && ascii(b, 0, 4) === "OggS") return { contentType: "audio/ogg", ext: "ogg" };
  return null;
}

function ascii(b: Uint8Array, from: number, length: number): string {
  return String.fromCharCode(...b.subarray(from, from + length));
}
