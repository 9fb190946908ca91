import { readFileSync } from "node:fs";
import PDFDocument from "pdfkit";
import { localDateTimeOf } from "@persona/sessions";

/**
 * What the sessions' PDF reports share: the fonts (a TrueType font that covers Cyrillic, embedded as a subset; the
 * built-in PDF fonts are Latin-1 only), a document that collects its bytes, page breaks, times in the session's time
 * zone and images by media key (JPEG embedded as it is, PNG decoded by pdfkit; anything else, or a missing or broken
 * image, is a grey placeholder: a report never fails for a picture).
 */

/** Where the regular and bold fonts are looked for, in order: Debian/Ubuntu's fonts-dejavu-core, then others. */
export const PDF_FONT_CANDIDATES = [
  {
    regular: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    bold: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  },
  { regular: "/usr/share/fonts/TTF/DejaVuSans.ttf", bold: "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf" },
  {
    regular: "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    bold: "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
  },
] as const;

export interface PdfFonts {
  /** The TrueType bytes (regular, bold), or null: the built-in Helvetica, which prints Latin-1 only. */
  embedded: { regular: Buffer; bold: Buffer; path: string } | null;
  /** Why there is no embedded font (null when there is one). */
  warning: string | null;
}

/**
 * The first candidate whose two files read and parse as fonts. None: Helvetica with a warning (names outside Latin-1
 * print as "?"), never an exception.
 */
export function findPdfFonts(candidates: readonly { regular: string; bold: string }[] = PDF_FONT_CANDIDATES): PdfFonts {
  const problems: string[] = [];
  for (const c of candidates) {
    try {
      const regular = readFileSync(c.regular);
      const bold = readFileSync(c.bold);
      const probe = new PDFDocument({ autoFirstPage: false });
      probe.font(regular).font(bold);
      return { embedded: { regular, bold, path: c.regular }, warning: null };
    } catch (err) {
      problems.push(`${c.regular}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    embedded: null,
    warning:
      "no TrueType font for the PDF reports (install Debian's fonts-dejavu-core): names outside Latin-1 (Cyrillic) print as '?'" +
      (problems.length > 0 ? ` [${problems.join("; ")}]` : ""),
  };
}

export type ImageBucket = "photos" | "crops";
/** The bytes of a media object (null when missing). */
export type ImageSource = (bucket: ImageBucket, key: string) => Promise<Uint8Array | null>;

export interface PdfOptions {
  fonts: PdfFonts;
}

/** An image pdfkit has parsed (`openImage`, which its typings do not declare): drawn as often as needed, embedded once. */
interface OpenedImage {
  width: number;
  height: number;
}
type Opener = { openImage(src: Buffer): OpenedImage };

const LATIN1 = /[^\x20-\x7e\xa0-\xff]/g;

export const COLORS = {
  text: "#111111",
  muted: "#666666",
  rule: "#bbbbbb",
  placeholder: "#e6e6e6",
  below: "#fde2e2",
  bad: "#c62828",
  good: "#2e7d32",
  warn: "#ef6c00",
  info: "#1565c0",
} as const;

/** A pdfkit document with its fonts, a text filter for the fallback font, and its bytes when ended. */
export class ReportPdf {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;
  private readonly images = new Map<string, OpenedImage | null>();
  readonly left: number;
  readonly width: number;

  constructor(
    private readonly o: PdfOptions,
    title: string,
  ) {
    this.doc = new PDFDocument({
      size: "A4",
      margin: 40,
      bufferPages: true,
      info: { Title: this.t(title), Creator: "Persona-ID", Producer: "Persona-ID (pdfkit)" },
    });
    this.doc.on("data", (c: Buffer) => this.chunks.push(c));
    this.done = new Promise((resolve, reject) => {
      this.doc.on("end", () => resolve(Buffer.concat(this.chunks)));
      this.doc.on("error", reject);
    });
    const f = o.fonts.embedded;
    this.doc.registerFont("body", f ? f.regular : "Helvetica");
    this.doc.registerFont("bold", f ? f.bold : "Helvetica-Bold");
    this.doc.font("body").fillColor(COLORS.text);
    this.left = this.doc.page.margins.left;
    this.width = this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
    if (o.fonts.warning !== null) {
      this.doc.fontSize(8).fillColor(COLORS.bad).text(`Warning: ${o.fonts.warning}`, { width: this.width });
      this.doc.fillColor(COLORS.text).moveDown(0.5);
    }
  }

  /** Text as the font can print it (outside Latin-1 as "?" with the built-in font). */
  t(s: string): string {
    return this.o.fonts.embedded ? s : s.replace(LATIN1, "?");
  }

  get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** A new page unless `height` points fit below the cursor; true when a page was added. */
  ensure(height: number): boolean {
    if (this.doc.y + height <= this.bottom) return false;
    this.doc.addPage();
    return true;
  }

  heading(text: string, size = 13, color: string = COLORS.text): void {
    this.ensure(size * 2 + 70);
    this.doc.moveDown(0.6).font("bold").fontSize(size).fillColor(color);
    this.doc.text(this.t(text), this.left, this.doc.y, { width: this.width });
    this.doc.font("body").fillColor(COLORS.text).moveDown(0.3);
  }

  /** One line at (x, y), clipped to `width` with an ellipsis. */
  line(text: string, x: number, y: number, width: number, o: { size?: number; bold?: boolean; color?: string } = {}): void {
    const size = o.size ?? 9;
    this.doc
      .font(o.bold ? "bold" : "body")
      .fontSize(size)
      .fillColor(o.color ?? COLORS.text)
      .text(this.t(text), x, y, { width, height: size * 1.3, ellipsis: true });
    this.doc.font("body").fillColor(COLORS.text);
  }

  /** Loads the images these keys name (a few at a time), so drawing them is synchronous. */
  async load(source: ImageSource, refs: { bucket: ImageBucket; key: string | null }[]): Promise<void> {
    const todo = [...new Set(refs.filter((r) => r.key !== null).map((r) => `${r.bucket}:${r.key}`))];
    const worker = async () => {
      for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
        const [bucket, key] = [id.slice(0, id.indexOf(":")) as ImageBucket, id.slice(id.indexOf(":") + 1)];
        const bytes = await source(bucket, key).catch(() => null);
        this.images.set(id, bytes === null ? null : this.open(bytes));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  private open(bytes: Uint8Array): OpenedImage | null {
    try {
      return (this.doc as unknown as Opener).openImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch {
      return null; // not a JPEG or PNG pdfkit can read
    }
  }

  /** The image fitted in a box (a grey box with `missing` when there is none), with a caption under it. */
  image(bucket: ImageBucket, key: string | null, x: number, y: number, size: number, caption: string, missing: string): void {
    const img = key === null ? null : (this.images.get(`${bucket}:${key}`) ?? null);
    if (img) {
      this.doc.image(img as unknown as Buffer, x, y, { fit: [size, size], align: "center", valign: "center" });
      this.doc.rect(x, y, size, size).lineWidth(0.5).strokeColor(COLORS.rule).stroke();
    } else {
      this.doc.rect(x, y, size, size).fill(COLORS.placeholder);
      this.line(missing, x + 2, y + size / 2 - 4, size - 4, { size: 6, color: COLORS.muted });
    }
    this.line(caption, x, y + size + 1, size, { size: 6, color: COLORS.muted });
  }

  /** "page i of n" on every page, then the bytes. */
  async end(): Promise<Buffer> {
    const range = this.doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      const bottom = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0;
      this.line(`${i + 1} / ${range.count}`, this.left, this.doc.page.height - 28, this.width, { size: 7, color: COLORS.muted });
      this.doc.page.margins.bottom = bottom;
    }
    this.doc.end();
    return this.done;
  }
}

/** Local date and time of an instant in a time zone ("2026-03-02 09:01:05"), or "—". */
export function localTime(iso: string | null, timeZone: string, withDate = false): string {
  if (iso === null) return "—";
  const local = localDateTimeOf(new Date(iso).getTime(), timeZone);
  return withDate ? local : local.slice(11);
}

export const percent = (x: number | null) => (x === null ? "—" : `${Math.round(x * 1000) / 10}%`);
export const score = (x: number | null) => (x === null ? "—" : x.toFixed(2));
