/** Test helpers: text in the encodings people's editors write. */

/** Windows-1251 for ASCII and Russian letters (what Notepad on a Russian Windows saves as "ANSI"). */
export function encode1251(text: string): Buffer {
  return Buffer.from(
    [...text].map((ch) => {
      const c = ch.codePointAt(0) as number;
      if (c < 0x80) return c;
      if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
      if (c === 0x401) return 0xa8;
      if (c === 0x451) return 0xb8;
      throw new Error(`no Windows-1251 byte for ${ch}`);
    }),
  );
}

export const utf16le = (text: string, bom = true) =>
  Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, "utf16le")]);
export const utf16be = (text: string, bom = true) => {
  const le = Buffer.from(text, "utf16le");
  for (let i = 0; i < le.length; i += 2) {
    const a = le[i] as number;
    le[i] = le[i + 1] as number;
    le[i + 1] = a;
  }
  return Buffer.concat([bom ? Buffer.from([0xfe, 0xff]) : Buffer.alloc(0), le]);
};
