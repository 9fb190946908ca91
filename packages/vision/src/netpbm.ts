/**
 * Minimal Netpbm reader (PGM/PPM: P2, P3, P5, P6), because sharp's prebuilt libvips has no PPM loader and the
 * ORL face database ships as PGM. Pure function; 16-bit samples are scaled to 8 bits.
 */
import type { RgbImage } from "./types.ts";

/** True when the bytes start with a Netpbm magic number we can read. */
export function isNetpbm(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(bytes[1] ?? 0) && isSpace(bytes[2] ?? 0);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** The decimal number at `pos` (its value, how many digits, the position after it); no digits: `digits` 0. */
function readDecimal(bytes: Uint8Array, pos: number): { value: number; digits: number; end: number } {
  let value = 0;
  let end = pos;
  while (end < bytes.length) {
    const c = bytes[end] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
    end++;
  }
  return { value, digits: end - pos, end };
}

/** Header of a Netpbm file, read without touching the pixel data. */
export interface NetpbmHeader {
  readonly magic: "P2" | "P3" | "P5" | "P6";
  readonly width: number;
  readonly height: number;
  readonly maxval: number;
  /** Offset of the first pixel byte (binary formats) or of the first sample token (ASCII formats). */
  readonly dataOffset: number;
}

/** Reads the header; throws a plain Error with a description when it is malformed. */
export function readNetpbmHeader(bytes: Uint8Array): NetpbmHeader {
  if (!isNetpbm(bytes)) throw new Error("not a Netpbm P2/P3/P5/P6 file");
  const magic = `P${String.fromCharCode(bytes[1] ?? 0)}` as NetpbmHeader["magic"];
  let pos = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    // skip whitespace and comments
    while (pos < bytes.length) {
      const c = bytes[pos] ?? 0;
      if (isSpace(c)) pos++;
      else if (c === 0x23) {
        while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
      } else break;
    }
    const n = readDecimal(bytes, pos);
    if (n.digits > 9) throw new Error("Netpbm header number too long");
    if (n.digits === 0) throw new Error("truncated or malformed Netpbm header");
    fields.push(n.value);
    pos = n.end;
  }
  const [width, height, maxval] = fields as [number, number, number];
  if (width <= 0 || height <= 0) throw new Error(`invalid Netpbm size ${width}x${height}`);
  if (maxval <= 0 || maxval > 65535) throw new Error(`invalid Netpbm maxval ${maxval}`);
  // exactly one whitespace byte separates the header from binary data
  if (!isSpace(bytes[pos] ?? -1)) throw new Error("malformed Netpbm header");
  return { magic, width, height, maxval, dataOffset: pos + 1 };
}

/** Decodes a Netpbm image into RGB (gray replicated to 3 channels). Throws on truncated data. */
export function decodeNetpbm(bytes: Uint8Array, header: NetpbmHeader = readNetpbmHeader(bytes)): RgbImage {
  const { magic, width, height, maxval, dataOffset } = header;
  const channels = magic === "P3" || magic === "P6" ? 3 : 1;
  const samples = width * height * channels;
  const values = new Uint8Array(samples);
  const scale = 255 / maxval;
  if (magic === "P5" || magic === "P6") {
    const bytesPerSample = maxval > 255 ? 2 : 1;
    if (bytes.length - dataOffset < samples * bytesPerSample) throw new Error("truncated Netpbm pixel data");
    for (let i = 0; i < samples; i++) {
      const v =
        bytesPerSample === 1
          ? (bytes[dataOffset + i] ?? 0)
          : ((bytes[dataOffset + 2 * i] ?? 0) << 8) | (bytes[dataOffset + 2 * i + 1] ?? 0);
      values[i] = Math.min(255, Math.round(v * scale));
    }
  } else {
    let pos = dataOffset;
    for (let i = 0; i < samples; i++) {
      while (pos < bytes.length && isSpace(bytes[pos] ?? 0)) pos++;
      const n = readDecimal(bytes, pos);
      if (n.digits === 0) throw new Error("truncated Netpbm pixel data");
      values[i] = Math.min(255, Math.round(n.value * scale));
      pos = n.end;
    }
  }
  if (channels === 3) return { data: values, width, height };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < values.length; i++, j += 3) {
    const v = values[i] ?? 0;
    rgb[j] = v;
    rgb[j + 1] = v;
    rgb[j + 2] = v;
  }
  return { data: rgb, width, height };
}
