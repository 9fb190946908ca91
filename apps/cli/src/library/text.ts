/**
 * Decoding text files written by people's editors on any OS: UTF-8 with or without BOM, UTF-16 LE/BE (with a BOM,
 * or without one when the zero bytes give it away), and Windows-1251 for Cyrillic text that is not valid UTF-8
 * (what Notepad on a Russian Windows writes as "ANSI"). Pure: bytes in, text out.
 */

export type TextEncodingName = "utf-8" | "utf-8-bom" | "utf-16le" | "utf-16be" | "windows-1251";

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

export function decodeText(bytes: Uint8Array): DecodedText {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    return { text: utf8Lenient(b.subarray(3)), encoding: "utf-8-bom" };
  }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) {
    return { text: new TextDecoder("utf-16le").decode(b.subarray(2)), encoding: "utf-16le" };
  }
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    return { text: new TextDecoder("utf-16be").decode(b.subarray(2)), encoding: "utf-16be" };
  }
  const bomless16 = guessBomlessUtf16(b);
  if (bomless16 !== null) return { text: new TextDecoder(bomless16).decode(b), encoding: bomless16 };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(b), encoding: "utf-8" };
  } catch {
    // not UTF-8: the single-byte Cyrillic code page is what such files are in practice
    return { text: new TextDecoder("windows-1251").decode(b), encoding: "windows-1251" };
  }
}

function utf8Lenient(b: Uint8Array): string {
  return new TextDecoder("utf-8").decode(b);
}

/**
 * UTF-16 without a BOM: text in Latin or Cyrillic has a zero (or 0x04) high byte in almost every code unit, so
 * one byte column is dominated by zeros. Needs a few code units to be sure; returns null otherwise.
 */
function guessBomlessUtf16(b: Uint8Array): "utf-16le" | "utf-16be" | null {
  if (b.length < 4 || b.length % 2 !== 0) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      if (i % 2 === 0) zeroEven++;
      else zeroOdd++;
    }
  }
  const units = b.length / 2;
  if (zeroOdd >= units * 0.3 && zeroEven === 0) return "utf-16le";
  if (zeroEven >= units * 0.3 && zeroOdd === 0) return "utf-16be";
  return null;
}
