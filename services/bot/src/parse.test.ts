import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseFile, chunks, commandOf, parseCaption, sniffImage } from "./parse.ts";

test("commands: the name lower-cased, the arguments trimmed, another bot's commands are not ours", () => {
  assert.deepEqual(commandOf("/login  secret pass ", "persona_bot"), { name: "login", args: "secret pass" });
  assert.deepEqual(commandOf("/People@Persona_Bot", "persona_bot"), { name: "people", args: "" });
  assert.equal(commandOf("/people@other_bot", "persona_bot"), null);
  assert.equal(commandOf("hello /people", "persona_bot"), null);
  assert.equal(commandOf(undefined, "persona_bot"), null);
  assert.deepEqual(commandOf("/find Anna\nKarenina", undefined), { name: "find", args: "Anna\nKarenina" });
});

test("captions: line 1 the name, the rest the description; empty, command-like, too long and control-character names refused", () => {
  assert.deepEqual(parseCaption("  Anna   Karenina \n Teacher \n\n of maths"), {
    ok: true,
    name: "Anna Karenina",
    description: "Teacher of maths",
  });
  assert.deepEqual(parseCaption("Анна"), { ok: true, name: "Анна", description: "" });
  assert.equal(parseCaption(undefined).ok, false);
  assert.equal(parseCaption(" \n ").ok, false);
  assert.equal(parseCaption("/people").ok, false);
  assert.equal(parseCaption("x".repeat(201)).ok, false);
  assert.equal(parseCaption(`A\n${"d".repeat(1001)}`).ok, false);
  assert.deepEqual(parseCaption("Ctl\u0001\u0007Name"), {
    ok: false,
    error: "The name contains control characters; type it again.",
  });
});

test("files: the largest photo size; documents only as images; too large refused before any download", () => {
  const photo = [
    { file_id: "small", file_size: 1000, width: 90, height: 90 },
    { file_id: "big", file_size: 200_000, width: 1280, height: 960 },
    { file_id: "mid", file_size: 50_000, width: 320, height: 240 },
  ];
  assert.deepEqual(chooseFile({ photo }, 10 * 1024 * 1024), { ok: true, fileId: "big", size: 200_000, label: "photo" });
  const huge = chooseFile(
    { photo: [{ file_id: "h", file_size: 20 * 1024 * 1024, width: 9000, height: 9000 }] },
    10 * 1024 * 1024,
  );
  assert.equal(huge.ok === false && huge.reason, "too-large");
  const pdf = chooseFile({ document: { file_id: "d", mime_type: "application/pdf", file_name: "cv.pdf", file_size: 10 } }, 100);
  assert.equal(pdf.ok === false && pdf.reason, "not-an-image");
  const png = chooseFile({ document: { file_id: "p", mime_type: "image/png", file_name: "me.png" } }, 100);
  assert.deepEqual(png, { ok: true, fileId: "p", size: null, label: "me.png" });
  const gif = chooseFile({ document: { file_id: "g", mime_type: "image/gif", file_name: "a.gif", file_size: 10 } }, 100);
  assert.equal(gif.ok === false && gif.reason, "not-an-image");
  assert.equal(chooseFile({}, 100).ok, false);
});

test("image types come from the bytes", () => {
  assert.deepEqual(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0])), { contentType: "image/jpeg", ext: "jpg" });
  assert.deepEqual(sniffImage(Buffer.from("89504e470d0a1a0a0000", "hex")), { contentType: "image/png", ext: "png" });
  assert.deepEqual(sniffImage(Buffer.from("RIFF\0\0\0\0WEBPVP8 ")), { contentType: "image/webp", ext: "webp" });
  assert.deepEqual(sniffImage(Buffer.concat([Buffer.from("BM"), Buffer.alloc(30)])), { contentType: "image/bmp", ext: "bmp" });
  assert.equal(sniffImage(Buffer.from("%PDF-1.4")), null);
  assert.equal(sniffImage(Buffer.from("GIF89a......")), null);
  assert.equal(sniffImage(Buffer.alloc(0)), null);
});

test("long texts are split at line breaks under Telegram's limit", () => {
  const lines = Array.from({ length: 300 }, (_, i) => `• person number ${i} with a fairly long description`);
  const parts = chunks(lines.join("\n"));
  assert.ok(parts.length > 1);
  assert.ok(parts.every((p) => p.length <= 4000));
  assert.equal(parts.join("\n"), lines.join("\n"));
  assert.deepEqual(chunks(""), [""]);
});
