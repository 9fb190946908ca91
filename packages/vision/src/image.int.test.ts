/** decodeImage / encodeJpeg on real photos (LFW, ORL) and on bad or unusual inputs made from them with sharp. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { findDatasetsDir } from "@persona/runtime";
import { ImageDecodeError } from "./errors.ts";
import { decodeImage } from "./image.ts";
import { decodeChip, encodeJpeg } from "./jpeg.ts";
import type { RgbImage } from "./types.ts";

const root = findDatasetsDir();
const skip = root === null ? "shared datasets not found (set PERSONA_DATASETS)" : false;
const LFW = root ? join(root, "lfw/AJ_Cook/AJ_Cook_0001.jpg") : "";
let dir = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "vision-image-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejects(input: Uint8Array | string, code: string, opts = {}): Promise<ImageDecodeError> {
  try {
    await decodeImage(input, opts);
  } catch (e) {
    assert.ok(e instanceof ImageDecodeError, `expected ImageDecodeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`decodeImage should have thrown ${code}`);
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  assert.equal(a.data.length, b.data.length);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs((a.data[i] as number) - (b.data[i] as number));
  return s / a.data.length;
}

test("a plain LFW JPEG decodes to 250x250 RGB", { skip }, async () => {
  const img = await decodeImage(LFW);
  assert.equal(img.width, 250);
  assert.equal(img.height, 250);
  assert.equal(img.data.length, 250 * 250 * 3);
  assert.equal(img.format, "jpeg");
  assert.equal(img.scale, 1);
});

test("empty buffer, text, random and truncated bytes are typed errors with causes", { skip }, async () => {
  await rejects(new Uint8Array(0), "empty");
  const text = await rejects(new TextEncoder().encode("this is a text file, not a photo\n"), "not_image");
  assert.ok(text.cause instanceof Error);
  const random = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
  await rejects(random, "not_image");
  const jpeg = await sharp(LFW).toBuffer();
  const truncated = await rejects(jpeg.subarray(0, Math.floor(jpeg.length / 2)), "corrupt");
  assert.ok(truncated.cause instanceof Error);
  const garbled = Buffer.from(jpeg);
  for (let i = 700; i < garbled.length; i += 97) garbled[i] = (garbled[i] as number) ^ 0x5a;
  await rejects(garbled, "corrupt");
  await rejects(jpeg.subarray(0, 20), "corrupt");
  const textFile = join(dir, "notes.txt");
  await writeFile(textFile, "hello\n");
  await rejects(textFile, "not_image");
  await rejects(join(dir, "missing.jpg"), "io");
  await rejects(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), "unsupported");
});

test("a lenient failOn decodes a truncated JPEG (grey bottom)", { skip }, async () => {
  const jpeg = await sharp(LFW).toBuffer();
  const img = await decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.7)), { failOn: "none" });
  assert.equal(img.width, 250);
});

test("grayscale JPEG becomes 3 equal channels", { skip }, async () => {
  const gray = await sharp(LFW).toColourspace("b-w").jpeg().toBuffer();
  assert.equal((await sharp(gray).metadata()).channels, 1);
  const img = await decodeImage(gray);
  assert.equal(img.data.length, 250 * 250 * 3);
  for (let i = 0; i < img.data.length; i += 3 * 97) {
    assert.equal(img.data[i], img.data[i + 1]);
    assert.equal(img.data[i], img.data[i + 2]);
  }
});

test("CMYK JPEG is converted to sRGB close to the original", { skip }, async () => {
  const rgb = await decodeImage(LFW);
  const cmyk = await sharp(LFW).toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, "cmyk");
  const img = await decodeImage(cmyk);
  assert.equal(img.data.length, 250 * 250 * 3);
  const d = meanAbsDiff(img, rgb);
  assert.ok(d < 25, `mean abs difference to the RGB original ${d.toFixed(1)}`);
});

test("PNG with alpha is flattened onto the background colour", { skip }, async () => {
  const { data, info } = await sharp(LFW).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let y = 0; y < 50; y++) for (let x = 0; x < 250; x++) data[(y * 250 + x) * 4 + 3] = 0; // top 50 rows transparent
  const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer();
  const white = await decodeImage(png);
  assert.deepEqual([...white.data.subarray(0, 3)], [255, 255, 255]);
  const black = await decodeImage(png, { background: { r: 0, g: 0, b: 0 } });
  assert.deepEqual([...black.data.subarray(0, 3)], [0, 0, 0]);
  const opaque = await decodeImage(LFW);
  const row100 = 100 * 250 * 3;
  assert.ok(Math.abs((white.data[row100] as number) - (opaque.data[row100] as number)) < 8);
});

test("EXIF orientation 6 (rotate 90 cw) is applied", { skip }, async () => {
  const src = await sharp(LFW).extract({ left: 0, top: 0, width: 250, height: 180 }).toBuffer();
  const tagged = await sharp(src).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  assert.equal((await sharp(tagged).metadata()).orientation, 6);
  const img = await decodeImage(tagged);
  assert.equal(img.width, 180);
  assert.equal(img.height, 250);
  const ref = await sharp(src).rotate(90).raw().toBuffer({ resolveWithObject: true });
  const d = meanAbsDiff(img, { data: new Uint8Array(ref.data), width: ref.info.width, height: ref.info.height });
  assert.ok(d < 6, `rotated decode differs from a 90 deg rotation by ${d.toFixed(1)}`);
});

test("16-bit PNG, GIF, WebP and TIFF decode to 8-bit RGB", { skip }, async () => {
  const ref = await decodeImage(LFW);
  for (const buf of [
    await sharp(LFW).toColourspace("rgb16").png().toBuffer(),
    await sharp(LFW).webp({ quality: 95 }).toBuffer(),
    await sharp(LFW).tiff().toBuffer(),
    await sharp(LFW).gif().toBuffer(),
  ]) {
    const img = await decodeImage(buf);
    assert.equal(img.data.length, ref.data.length);
    assert.ok(meanAbsDiff(img, ref) < 12);
  }
});

test("ORL grayscale PNG and a PGM (P5) of it decode alike", { skip }, async () => {
  const orl = join(root ?? "", "orl/s1/1.png");
  const png = await decodeImage(orl);
  assert.equal(png.width, 92);
  assert.equal(png.height, 112);
  const { data, info } = await sharp(orl).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 1);
  const pgm = Buffer.concat([Buffer.from(`P5\n${info.width} ${info.height}\n255\n`), data]);
  const img = await decodeImage(pgm);
  assert.equal(img.format, "netpbm");
  assert.deepEqual(img.data, png.data);
});

test("a 10000x10000 image is downscaled to maxPixels in bounded time; above maxInputPixels it is refused", {
  skip,
  timeout: 60_000,
}, async () => {
  // a flat grey 100 MP PNG compresses to ~300 KB: the worst case is the pixel count, not the file
  const big = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: { r: 120, g: 130, b: 140 } } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  const t0 = performance.now();
  const img = await decodeImage(big);
  const ms = performance.now() - t0;
  assert.equal(img.width, 4096);
  assert.equal(img.height, 4096);
  assert.equal(img.originalWidth, 10000);
  assert.ok(Math.abs(img.scale - 0.4096) < 1e-9);
  assert.deepEqual([...img.data.subarray(0, 3)], [120, 130, 140]);
  assert.ok(ms < 20_000, `decode took ${ms.toFixed(0)} ms`);
  const e = await rejects(big, "too_large", { maxInputPixels: 50_000_000 });
  assert.match(e.message, /10000x10000/);
  await rejects(await sharp(LFW).toBuffer(), "too_large", { maxBytes: 1000 });
});

test("encodeJpeg round-trips", { skip }, async () => {
  const img = await decodeImage(LFW);
  const jpeg = await encodeJpeg(img, 92);
  assert.equal((await sharp(jpeg).metadata()).format, "jpeg");
  const back = await decodeImage(jpeg);
  assert.ok(meanAbsDiff(back, img) < 4);
  await assert.rejects(encodeJpeg(img, 0), RangeError);
});

test("decodeChip: the chips this system encodes decode to the same pixels as sharp reads them", { skip }, async () => {
  const img = await decodeImage(LFW);
  const chip = { data: img.data.slice(0), width: img.width, height: img.height };
  for (const q of [75, 90]) {
    const jpeg = await encodeJpeg(chip, q);
    const ours = decodeChip(jpeg);
    const theirs = await decodeImage(jpeg);
    assert.equal(ours.width, theirs.width);
    // the same libjpeg family: IDCT and upsampling may differ by a level or two, never more on average
    assert.ok(meanAbsDiff(ours, theirs) < 1.5, `q${q}: ${meanAbsDiff(ours, theirs)}`);
    assert.ok(meanAbsDiff(ours, chip) < (q === 90 ? 3 : 5));
  }
  const png = await sharp(Buffer.from(chip.data), { raw: { width: chip.width, height: chip.height, channels: 3 } })
    .png()
    .toBuffer();
  assert.equal(meanAbsDiff(decodeChip(png), chip), 0);
});

test("decodeChip refuses what is not a whole chip: empty, text, truncated, too large", { skip }, async () => {
  const jpeg = await encodeJpeg(await decodeImage(LFW), 90);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof ImageDecodeError, String(e));
      return e.code;
    }
    assert.fail("no error");
  };
  assert.equal(
    code(() => decodeChip(new Uint8Array(0))),
    "empty",
  );
  assert.equal(
    code(() => decodeChip(Buffer.from("not an image at all"))),
    "not_image",
  );
  assert.equal(
    code(() => decodeChip(jpeg.subarray(0, Math.floor(jpeg.length / 2)))),
    "corrupt",
  );
  assert.equal(
    code(() => decodeChip(jpeg, 100)),
    "too_large",
  );
});
