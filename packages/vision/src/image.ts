/**
 * Decoding of photos (and PNG encoding) with sharp. The hot-path JPEG work (chips, frames) is OpenCV's: jpeg.ts.
 *
 * Size policy (decided, not accidental):
 * - `maxInputPixels` (default 120 MP, i.e. 10000x10000 fits, 12000x12000 does not): larger inputs are REJECTED with
 *   `ImageDecodeError("too_large")` after reading only the header; the check runs before any pixel is decoded, so a
 *   decompression bomb costs nothing.
 * - `maxPixels` (default 4096x4096 = 16.8 MP): inputs between the two limits are DOWNSCALED while decoding (libvips
 *   streams the rows and JPEG uses shrink-on-load), so a 10000x10000 JPEG or PNG decodes in < 1 s with < 700 MB peak
 *   RSS on the project machines. The returned `scale` tells how to map coordinates back to the original.
 * - `maxBytes` (default 100 MiB) bounds the compressed input itself.
 */
import { readFile, stat } from "node:fs/promises";
import sharp, { type Metadata } from "sharp";
import { ImageDecodeError } from "./errors.ts";
import { decodeNetpbm, isNetpbm, readNetpbmHeader } from "./netpbm.ts";
import { assertRgbImage, type RgbImage } from "./types.ts";

export interface DecodeOptions {
  /** Images with more pixels than this are downscaled (aspect kept) while decoding. Default 4096*4096. */
  maxPixels?: number;
  /** Images with more pixels than this are rejected (`too_large`) without decoding. Default 120_000_000. */
  maxInputPixels?: number;
  /** Compressed inputs larger than this are rejected (`too_large`). Default 100 MiB. */
  maxBytes?: number;
  /** Colour that transparent pixels are flattened onto. Default white. */
  background?: { r: number; g: number; b: number };
  /**
   * How picky the decoder is about damaged data (sharp's `failOn`). Default `"warning"`: any decoder warning (a
   * truncated JPEG, a bad Huffman code) is an `ImageDecodeError("corrupt")`. `"none"` decodes what it can.
   */
  failOn?: "none" | "truncated" | "error" | "warning";
  /** Abort decoding after this many seconds (sharp's `timeout`), as `ImageDecodeError("timeout")`. Default 30. */
  timeoutSeconds?: number;
}

/** An image decoded to RGB, with what was done to it. */
export interface DecodedImage extends RgbImage {
  /** The input's format as sharp names it (jpeg, png, webp, gif, tiff, heif, ...) or "netpbm". */
  readonly format: string;
  /** Size after EXIF orientation, before any downscaling. */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** width / originalWidth (1 unless downscaled to respect `maxPixels`). */
  readonly scale: number;
}

export const DECODE_DEFAULTS = {
  maxPixels: 4096 * 4096,
  maxInputPixels: 120_000_000,
  maxBytes: 100 * 1024 * 1024,
  background: { r: 255, g: 255, b: 255 },
  failOn: "warning",
  timeoutSeconds: 30,
} as const satisfies Required<DecodeOptions>;

/** Raster formats we accept. SVG (scriptable, unbounded rasterisation) and anything else sharp can open are refused. */
const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp", "gif", "tiff", "heif", "avif", "jp2", "jxl"]);

/**
 * Decodes an image (bytes or a file path) into 8-bit RGB: EXIF orientation applied, alpha flattened onto
 * `background`, grayscale/CMYK/ICC-tagged input converted to sRGB, 16-bit input reduced to 8 bits, multi-page input
 * (GIF, TIFF) reduced to its first page. Every failure is an `ImageDecodeError` with a `code` and the original `cause`.
 */
export async function decodeImage(input: Uint8Array | string, options: DecodeOptions = {}): Promise<DecodedImage> {
  const opts = { ...DECODE_DEFAULTS, ...options };
  const bytes = typeof input === "string" ? await readImageFile(input, opts.maxBytes) : input;
  if (bytes.length === 0) throw new ImageDecodeError("empty", "image is empty (0 bytes)");
  if (bytes.length > opts.maxBytes) {
    throw new ImageDecodeError("too_large", `image is ${bytes.length} bytes, more than maxBytes=${opts.maxBytes}`);
  }
  if (isNetpbm(bytes)) return decodeNetpbmImage(bytes, opts);

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: opts.failOn, limitInputPixels: false }).metadata();
  } catch (cause) {
    const msg = errorMessage(cause);
    const code = /unsupported image format|empty/i.test(msg) ? "not_image" : "corrupt";
    throw new ImageDecodeError(code, code === "not_image" ? "not an image (unknown format)" : `corrupt image header: ${msg}`, {
      cause,
    });
  }
  const format = meta.format ?? "unknown";
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new ImageDecodeError("unsupported", `unsupported image format "${format}"`);
  }
  const w0 = meta.width ?? 0;
  const h0 = meta.height ?? 0;
  if (w0 <= 0 || h0 <= 0) throw new ImageDecodeError("corrupt", `image header has no valid size (${w0}x${h0})`);
  checkInputPixels(w0, h0, opts.maxInputPixels);
  const swap = (meta.orientation ?? 1) >= 5;
  const ow = swap ? h0 : w0;
  const oh = swap ? w0 : h0;
  const target = fitPixels(ow, oh, opts.maxPixels);

  try {
    let pipeline = sharp(bytes, {
      failOn: opts.failOn,
      limitInputPixels: opts.maxInputPixels,
      sequentialRead: true,
      pages: 1,
    })
      .timeout({ seconds: opts.timeoutSeconds })
      .rotate();
    if (target.width !== ow || target.height !== oh) {
      pipeline = pipeline.resize(target.width, target.height, { fit: "fill", kernel: "lanczos3" });
    }
    const { data, info } = await pipeline
      .flatten({ background: opts.background })
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoder produced ${info.channels} channels, expected 3`);
    }
    const img = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
    assertRgbImage(img);
    return { ...img, format, originalWidth: ow, originalHeight: oh, scale: info.width / ow };
  } catch (cause) {
    if (cause instanceof ImageDecodeError) throw cause;
    const msg = errorMessage(cause);
    if (/timeout/i.test(msg))
      throw new ImageDecodeError("timeout", `decoding took more than ${opts.timeoutSeconds} s`, { cause });
    throw new ImageDecodeError("corrupt", `cannot decode ${format} image: ${msg}`, { cause });
  }
}

async function readImageFile(path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    if (st.size > maxBytes) {
      throw new ImageDecodeError("too_large", `${path} is ${st.size} bytes, more than maxBytes=${maxBytes}`);
    }
    return await readFile(path);
  } catch (cause) {
    if (cause instanceof ImageDecodeError) throw cause;
    throw new ImageDecodeError("io", `cannot read ${path}: ${errorMessage(cause)}`, { cause });
  }
}

async function decodeNetpbmImage(bytes: Uint8Array, opts: Required<DecodeOptions>): Promise<DecodedImage> {
  let img: RgbImage;
  try {
    const header = readNetpbmHeader(bytes);
    checkInputPixels(header.width, header.height, opts.maxInputPixels);
    img = decodeNetpbm(bytes, header);
  } catch (cause) {
    if (cause instanceof ImageDecodeError) throw cause;
    throw new ImageDecodeError("corrupt", `cannot decode Netpbm image: ${errorMessage(cause)}`, { cause });
  }
  const target = fitPixels(img.width, img.height, opts.maxPixels);
  const out = target.width === img.width ? img : await resizeRgb(img, target.width, target.height);
  return { ...out, format: "netpbm", originalWidth: img.width, originalHeight: img.height, scale: out.width / img.width };
}

function checkInputPixels(width: number, height: number, maxInputPixels: number): void {
  if (width * height > maxInputPixels) {
    throw new ImageDecodeError(
      "too_large",
      `image is ${width}x${height} = ${((width * height) / 1e6).toFixed(1)} MP, more than maxInputPixels=${maxInputPixels}`,
    );
  }
}

/** Largest size with the same aspect ratio and at most `maxPixels` pixels (the input size if it already fits). */
export function fitPixels(width: number, height: number, maxPixels: number): { width: number; height: number } {
  if (width * height <= maxPixels) return { width, height };
  const s = Math.sqrt(maxPixels / (width * height));
  return { width: Math.max(1, Math.floor(width * s)), height: Math.max(1, Math.floor(height * s)) };
}

/** Resizes an RGB image with sharp (lanczos3; area-averaging when shrinking). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  assertRgbImage(img);
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Encodes an RGB image as PNG (lossless; for debugging renders and tests). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  assertRgbImage(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 3 })
    .toBuffer();
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
