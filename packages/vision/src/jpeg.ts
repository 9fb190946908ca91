/**
 * JPEG on OpenCV, for the hot paths: every best shot the camera encodes, every chip a recognizer or the trainer
 * decodes, the live view's frames. On this machine (image-ops.bench.ts, 1 thread) a 112x112 chip encodes in 0.12 ms
 * (sharp: 1.4 ms) and decodes in 0.22 ms (sharp: 2.4 ms); a 1280x720 frame encodes in 5-6 ms (sharp: 12.7 ms).
 *
 * Photos from people (uploads, import folders, the bot) still go through `decodeImage` (sharp): it reads a dozen
 * formats, ICC profiles and CMYK, rejects decompression bombs from the header, fails on decoder warnings, and runs
 * off the main thread. `decodeChip` is for the images this system made itself: JPEG (or PNG) chips of bounded size.
 */
import { ImageDecodeError } from "./errors.ts";
import { imageOf, matOf, opencv } from "./cv.ts";
import { assertRgbImage, type RgbImage } from "./types.ts";

/**
 * Encodes an RGB image as baseline JPEG (quality 1..100, default 90; libjpeg's 4:2:0 chroma), on the calling thread:
 * the binding's *Async variants crash Node 20 now and then (UrielCh/opencv4nodejs#134, #170), and a 720p frame takes
 * 5-6 ms here.
 */
export async function encodeJpeg(img: RgbImage, quality = 90): Promise<Buffer> {
  assertRgbImage(img);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new RangeError(`JPEG quality must be 1..100, got ${quality}`);
  const cv = opencv();
  const bgr = matOf(img).cvtColor(cv.COLOR_RGB2BGR);
  const flags = [cv.IMWRITE_JPEG_QUALITY, quality];
  const jpeg = cv.imencode(".jpg", bgr, flags);
  bgr.release();
  return jpeg;
}

/** The largest chip side `decodeChip` accepts (this system's chips are 112-256 px; a live frame is not a chip). */
export const MAX_CHIP_SIDE = 1024;

const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
/** A JPEG that does not end with its EOI marker was cut short (libjpeg would pad it grey and only warn). */
const endsWithEoi = (b: Uint8Array) => {
  let end = b.length;
  while (end > 2 && b[end - 1] === 0) end--; // some encoders pad with zeros after EOI
  return b[end - 2] === 0xff && b[end - 1] === 0xd9;
};

/**
 * Decodes a chip (JPEG or PNG bytes this system encoded) to RGB, synchronously. Anything else, a truncated JPEG,
 * or a side over `maxSide` is an `ImageDecodeError`: a chip that is not one is refused, never guessed at.
 */
export function decodeChip(bytes: Uint8Array, maxSide = MAX_CHIP_SIDE): RgbImage {
  if (bytes.length === 0) throw new ImageDecodeError("empty", "chip is empty (0 bytes)");
  const jpeg = isJpeg(bytes);
  if (!jpeg && !isPng(bytes)) throw new ImageDecodeError("not_image", "chip is neither JPEG nor PNG");
  if (jpeg && !endsWithEoi(bytes)) throw new ImageDecodeError("corrupt", "chip JPEG is truncated (no end-of-image marker)");
  const cv = opencv();
  let mat: ReturnType<typeof cv.imdecode>;
  try {
    mat = cv.imdecode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), cv.IMREAD_COLOR);
  } catch (cause) {
    throw new ImageDecodeError("corrupt", `cannot decode chip: ${(cause as Error).message}`, { cause });
  }
  if (mat.empty || mat.cols === 0) throw new ImageDecodeError("corrupt", "cannot decode chip (corrupt data)");
  if (mat.cols > maxSide || mat.rows > maxSide) {
    throw new ImageDecodeError("too_large", `chip is ${mat.cols}x${mat.rows}, more than ${maxSide} px a side`);
  }
  return imageOf(mat.cvtColor(cv.COLOR_BGR2RGB));
}
