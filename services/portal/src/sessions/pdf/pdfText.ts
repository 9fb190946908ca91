import { inflateSync } from "node:zlib";

/**
 * Reads back what one of our PDFs prints, for tests: the text of each page (Flate streams inflated; hex strings of
 * `Tj`/`TJ` decoded through each font's ToUnicode CMap, or as Latin-1 for the built-in fonts), and how many images it
 * embeds. Not a general PDF parser: enough for pdfkit's own output.
 */

export interface PdfSummary {
  pages: string[];
  /** Each page's content stream (drawing operators: colours, rectangles), inflated. */
  contents: string[];
  /** Image XObjects (`/Subtype /Image`). */
  images: number;
}

const OBJECT = /(\d+) 0 obj\b([\s\S]*?)\bendobj/g;

function cmapOf(body: string): Map<number, string> {
  const map = new Map<number, string>();
  const hex = (h: string) => Number.parseInt(h, 16);
  const str = (h: string) => String.fromCodePoint(...(h.replace(/\s+/g, "").match(/.{4}/g) ?? []).map(hex));
  for (const block of body.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of (block[1] ?? "").matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)/g)) {
      const [lo, hi, dst] = [hex(m[1] as string), hex(m[2] as string), m[3] as string];
      if (dst.startsWith("[")) {
        for (const [i, d] of [...dst.matchAll(/<([0-9a-fA-F\s]+)>/g)].entries()) map.set(lo + i, str(d[1] as string));
      } else {
        const base = hex(dst.slice(1, -1));
        for (let c = lo; c <= hi; c++) map.set(c, String.fromCodePoint(base + c - lo));
      }
    }
  }
  for (const block of body.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] ?? "").matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g))
      map.set(hex(m[1] as string), str(m[2] as string));
  }
  return map;
}

function decode(hex: string, cmap: Map<number, string> | null): string {
  if (cmap === null) return Buffer.from(hex, "hex").toString("latin1");
  return (hex.match(/.{4}/g) ?? []).map((g) => cmap.get(Number.parseInt(g, 16)) ?? "\uFFFD").join("");
}

/** An object with its Flate stream inflated (as Latin-1 text, as the rest is read). */
function inflated(body: string): string {
  const m = /^([\s\S]*?)stream\r?\n([\s\S]*)\r?\nendstream\s*$/.exec(body);
  if (!m || !/\/Filter \/FlateDecode/.test(m[1] as string) || /\/Subtype \/Image/.test(m[1] as string)) return body;
  try {
    return `${m[1]}stream\n${inflateSync(Buffer.from(m[2] as string, "latin1")).toString("latin1")}\nendstream`;
  } catch {
    return body;
  }
}

/** The text of each page and the number of embedded images. */
export function pdfSummary(pdf: Uint8Array): PdfSummary {
  const text = Buffer.from(pdf).toString("latin1");
  const objects = new Map<string, string>();
  for (const m of text.matchAll(OBJECT)) objects.set(m[1] as string, inflated(m[2] as string));
  const ref = (body: string, key: string) => new RegExp(`/${key} (\\d+) 0 R`).exec(body)?.[1];
  const cmaps = new Map<string, Map<number, string> | null>();
  const fontMap = (id: string) => {
    if (!cmaps.has(id)) {
      const uni = ref(objects.get(id) ?? "", "ToUnicode");
      cmaps.set(id, uni === undefined ? null : cmapOf(objects.get(uni) ?? ""));
    }
    return cmaps.get(id) ?? null;
  };
  const pages: string[] = [];
  const contents: string[] = [];
  const root = [...objects.values()].find((b) => /\/Type \/Pages\b/.test(b)) ?? "";
  const kids = [...(/\/Kids \[([^\]]*)\]/.exec(root)?.[1] ?? "").matchAll(/(\d+) 0 R/g)].map((k) => k[1] as string);
  for (const body of kids.map((k) => objects.get(k) ?? "")) {
    const resources = objects.get(ref(body, "Resources") ?? "") ?? body;
    const fonts = new Map<string, string>();
    for (const f of (/\/Font <<([\s\S]*?)>>/.exec(resources)?.[1] ?? "").matchAll(/\/(\S+) (\d+) 0 R/g))
      fonts.set(f[1] as string, f[2] as string);
    const content = objects.get(ref(body, "Contents") ?? "") ?? "";
    contents.push(content);
    let cmap: Map<number, string> | null = null;
    const runs: string[] = [];
    for (const op of content.matchAll(/\/(\S+) [\d.]+ Tf|\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\] TJ|<([0-9a-fA-F]*)> Tj/g)) {
      if (op[1] !== undefined) cmap = fontMap(fonts.get(op[1]) ?? "");
      else if (op[2] !== undefined)
        runs.push([...op[2].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => decode(h[1] as string, cmap)).join(""));
      else if (op[3] !== undefined) runs.push(decode(op[3], cmap));
    }
    pages.push(runs.join("\n"));
  }
  return { pages, contents, images: (text.match(/\/Subtype \/Image\b/g) ?? []).length };
}

/** A valid 16×16 baseline JPEG (blue), for tests that need an image pdfkit embeds. */
export const TINY_JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABLAAEBAAAAAAAAAAAAAAAAAAAABQEBAAAAAAAAAAAAAAAAAAAABhABAAAAAAAAAAAAAAAAAAAAABEBAAAAAAAAAAAAAAAAAAAAAP/AABEIABAAEAMBIgACEQADEQD/2gAMAwEAAhEDEQA/AIIB2Ov/2Q==",
  "base64",
);
