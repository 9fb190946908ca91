/** Pure parsing of what a chat sends: commands, enrollment captions, which file of a message to take. */

export interface Command {
  /** Lower-case, without the slash and the @botname. */
  name: string;
  /** The rest of the text, trimmed. */
  args: string;
}

/**
 * "/cmd args" or "/cmd@botname args". A command addressed to another bot ("/cmd@other") is not ours: null.
 */
export function commandOf(text: string | undefined, botUsername: string | undefined): Command | null {
  if (text === undefined) return null;
  const m = /^\/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return null;
  const to = m[2];
  if (to !== undefined && botUsername !== undefined && to.toLowerCase() !== botUsername.toLowerCase()) return null;
  return { name: (m[1] as string).toLowerCase(), args: (m[3] ?? "").trim() };
}

export type CaptionResult = { ok: true; name: string; description: string } | { ok: false; error: string };

export const MAX_NAME = 200;
export const MAX_DESCRIPTION = 1000;

/** An enrollment caption: line 1 the name, optional line 2 the description (further lines join the description). */
export function parseCaption(caption: string | undefined): CaptionResult {
  const lines = (caption ?? "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const name = (lines[0] ?? "").replace(/\s+/g, " ");
  if (name.length === 0) {
    return { ok: false, error: "Send the photo with the person's name as its caption (and a description on a second line)." };
  }
  if (name.startsWith("/")) return { ok: false, error: "A caption that starts with / is a command, not a name." };
  if ([...name].length > MAX_NAME) return { ok: false, error: `The name is longer than ${MAX_NAME} characters.` };
  if (/\p{Cc}/u.test(name)) return { ok: false, error: "The name contains control characters; type it again." };
  const description = lines.slice(1).join(" ");
  if ([...description].length > MAX_DESCRIPTION) {
    return { ok: false, error: `The description is longer than ${MAX_DESCRIPTION} characters.` };
  }
  return { ok: true, name, description };
}

/** The parts of a Telegram message that may carry an enrollment photo. */
export interface MediaMessage {
  photo?: { file_id: string; file_size?: number; width: number; height: number }[];
  document?: { file_id: string; file_size?: number; mime_type?: string; file_name?: string };
}

export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/bmp"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export type FileChoice =
  | { ok: true; fileId: string; size: number | null; label: string }
  | { ok: false; reason: "not-an-image" | "too-large" | "no-file"; message: string };

/**
 * The file to download for a photo message: the largest size of a photo, or an image document. Refused before any
 * download: a document that is not an image (by its MIME type) and a file Telegram says is larger than `maxBytes`.
 */
export function chooseFile(m: MediaMessage, maxBytes: number): FileChoice {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  let fileId: string;
  let size: number | null;
  let label: string;
  if (m.photo && m.photo.length > 0) {
    const best = [...m.photo].sort((a, b) => b.width * b.height - a.width * a.height)[0] as NonNullable<MediaMessage["photo"]>[0];
    fileId = best.file_id;
    size = best.file_size ?? null;
    label = "photo";
  } else if (m.document) {
    const mime = (m.document.mime_type ?? "").toLowerCase();
    label = m.document.file_name ?? "document";
    if (!(IMAGE_TYPES as readonly string[]).includes(mime)) {
      return {
        ok: false,
        reason: "not-an-image",
        message: `${label} is not an image (${mime || "unknown type"}); send a JPEG, PNG, WebP or BMP photo.`,
      };
    }
    fileId = m.document.file_id;
    size = m.document.file_size ?? null;
  } else {
    return { ok: false, reason: "no-file", message: "There is no photo in this message." };
  }
  if (size !== null && size > maxBytes) {
    return { ok: false, reason: "too-large", message: `${label} is ${mb(size)}; the limit is ${mb(maxBytes)}.` };
  }
  return { ok: true, fileId, size, label };
}

/** The image type by its first bytes (never by a name or a claimed MIME type); null when it is none we accept. */
export function sniffImage(bytes: Uint8Array): { contentType: ImageType; ext: string } | null {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { contentType: "image/jpeg", ext: "jpg" };
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a)
    return { contentType: "image/png", ext: "png" };
  if (
    b.length >= 12 &&
    String.fromCharCode(b[0] as number, b[1] as number, b[2] as number, b[3] as number) === "RIFF" &&
    String.fromCharCode(b[8] as number, b[9] as number, b[10] as number, b[11] as number) === "WEBP"
  )
    return { contentType: "image/webp", ext: "webp" };
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) return { contentType: "image/bmp", ext: "bmp" };
  return null;
}

/** Splits a long text into Telegram-sized messages (4096 characters), at line breaks where possible. */
export function chunks(text: string, max = 4000): string[] {
  const out: string[] = [];
  let cur = "";
  for (const line of text.split("\n")) {
    const l = line.length > max ? `${line.slice(0, max - 1)}…` : line;
    if (cur.length + l.length + 1 > max) {
      out.push(cur);
      cur = "";
    }
    cur = cur.length === 0 ? l : `${cur}\n${l}`;
  }
  if (cur.length > 0 || out.length === 0) out.push(cur);
  return out;
}
