import assert from "node:assert/strict";
import { test } from "node:test";
import { sniffImage } from "./media.ts";

test("sniffImage: JPEG, PNG, WebP and BMP by their first bytes; anything else, or too few bytes, is none", () => {
  assert.deepEqual(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), { contentType: "image/jpeg", ext: "jpg" });
  assert.deepEqual(sniffImage(Buffer.from("\x89PNG\r\n\x1a\n", "latin1")), { contentType: "image/png", ext: "png" });
  assert.deepEqual(sniffImage(Buffer.from("RIFF\0\0\0\0WEBPVP8 ")), { contentType: "image/webp", ext: "webp" });
  assert.deepEqual(sniffImage(Buffer.concat([Buffer.from("BM"), Buffer.alloc(24)])), { contentType: "image/bmp", ext: "bmp" });
  assert.equal(sniffImage(Buffer.from("\x89PNG\0\0\0\0", "latin1")), null, "not the PNG signature");
  assert.equal(sniffImage(Buffer.from("RIFF\0\0\0\0WAVE")), null, "a RIFF that is not WebP");
  assert.equal(sniffImage(Buffer.from("BM")), null, "shorter than a BMP's file header");
  assert.equal(sniffImage(Buffer.from([0xff, 0xd8])), null);
  assert.equal(sniffImage(Buffer.from("hello")), null);
  assert.equal(sniffImage(new Uint8Array(0)), null);
});
