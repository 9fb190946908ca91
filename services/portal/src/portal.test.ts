import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sniffImage } from "@persona/contracts";
import { z } from "zod";
import { alertCropKey } from "./alerts/projection.ts";
import { hashPassword, passwordProblem, verifyPassword } from "./auth/passwords.ts";
import { cookieValue, sessionCookie } from "./auth/sessions.ts";
import { Api } from "./http/api.ts";
import { cropKeyOf, isMp3, validMediaKey, visitorCropKeyOf } from "./media.ts";
import { csvCell } from "./routes/attendance.ts";

describe("passwords (scrypt)", () => {
  test("a hash verifies its password only, carries its parameters, and differs each time (salt)", async () => {
    const h1 = await hashPassword("correct horse battery");
    const h2 = await hashPassword("correct horse battery");
    assert.match(h1, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(h1, h2);
    assert.equal(await verifyPassword("correct horse battery", h1), true);
    assert.equal(await verifyPassword("correct horse batterz", h1), false);
    assert.equal(await verifyPassword("x", "plain-text"), false);
    assert.equal(await verifyPassword("x", "scrypt$99999999$8$1$AAAA$AAAA"), false);
  });
  test("weak passwords are named", () => {
    assert.match(passwordProblem("short") ?? "", /at least 8/);
    assert.equal(passwordProblem("long enough"), null);
  });
});

describe("cookies", () => {
  test("the session cookie is httpOnly, SameSite=Strict, Path=/; a header is read by name", () => {
    const c = sessionCookie("tok", 3600_000, false);
    assert.equal(c, "persona_sid=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600");
    assert.match(sessionCookie("tok", 1000, true), /; Secure$/);
    assert.equal(cookieValue("a=1; persona_sid=abc; b=2", "persona_sid"), "abc");
    assert.equal(cookieValue("persona_sidx=abc", "persona_sid"), undefined);
    assert.equal(cookieValue(undefined, "persona_sid"), undefined);
  });
});

describe("media keys", () => {
  test("only the contract's pattern, no dot segments", () => {
    for (const k of ["p-1/abc.jpg", "cam1/t2.jpg", "inline/0f0e.jpg", "a.b_c-d"]) assert.ok(validMediaKey(k), k);
    for (const k of ["../x", "a/../b", "a/./b", "/a", "a/", "a//b", "a\\b", "a%2fb", "", "a b", "..", `${"a".repeat(256)}`])
      assert.ok(!validMediaKey(k), k);
  });
  test("crop keys: an object's key, or inline/<sightingId>.jpg", () => {
    assert.equal(cropKeyOf("d1", "obj:crops/cam/t.jpg"), "cam/t.jpg");
    assert.equal(cropKeyOf("d1", "msg:SIGHTINGS/42"), "inline/d1.jpg");
    assert.equal(cropKeyOf("d1", null), null);
    assert.equal(alertCropKey({ kind: "inline", contentType: "image/jpeg", base64: "AA==" }, "d1"), "inline/d1.jpg");
    assert.equal(alertCropKey(null, "d1"), null);
  });
  test("a visitor's crop keys: an object of the crops bucket by its key, an inline one visitors/<id>/<detection>.jpg", () => {
    const v = "0b6f1c2a-1111-4222-8333-444455556666";
    const d = "9c1e2d3f-aaaa-4bbb-8ccc-ddddeeeeffff";
    assert.equal(visitorCropKeyOf(v, d, "obj:crops/cam/t.jpg"), "cam/t.jpg");
    assert.equal(visitorCropKeyOf(v, d, "obj:photos/p/x.jpg"), null, "only the crops bucket is served as a crop");
    const inline = visitorCropKeyOf(v, d, "msg:SIGHTINGS/42");
    assert.equal(inline, `visitors/${v}/${d}.jpg`);
    assert.ok(validMediaKey(inline ?? ""), "a key the media route accepts");
    assert.equal(visitorCropKeyOf(v, d, "nonsense"), null);
  });
  test("image and mp3 sniffing by content, not by the declared type", () => {
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))?.ext, "jpg");
    assert.equal(sniffImage(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))?.ext, "png");
    assert.equal(sniffImage(Buffer.from("hello")), null);
    assert.equal(isMp3(Buffer.from("ID3\x04")), true);
    assert.equal(isMp3(Buffer.from("<html>")), false);
  });
});

describe("CSV cells", () => {
  test("quoted when needed; spreadsheet formulas neutralised", () => {
    assert.equal(csvCell("Анна"), "Анна");
    assert.equal(csvCell('a,"b"'), '"a,""b"""');
    assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    assert.equal(csvCell(12), "12");
  });
});

describe("OpenAPI from the route registry", () => {
  test("paths, parameters, bodies, multipart and roles come from the zod schemas", () => {
    const api = new Api();
    api.add({
      method: "get",
      path: "/things/:thingId",
      summary: "a thing",
      tag: "t",
      role: "viewer",
      params: z.object({ thingId: z.string() }),
      query: z.object({ limit: z.coerce.number().optional() }),
      responses: { 200: z.object({ id: z.string() }) },
      handler: async () => null,
    });
    api.add({
      method: "post",
      path: "/things",
      summary: "upload",
      tag: "t",
      role: "operator",
      body: z.object({ name: z.string() }),
      multipart: { files: [{ name: "photo", maxCount: 3, description: "photos" }] },
      responses: { 201: z.object({ ok: z.boolean() }) },
      handler: async () => null,
    });
    // biome-ignore lint/suspicious/noExplicitAny: walking a JSON document
    const doc = api.openapi({ title: "t", version: "1" }) as { openapi: string; paths: Record<string, Record<string, any>> };
    assert.equal(doc.openapi, "3.1.0");
    const get = doc.paths["/api/v1/things/{thingId}"]?.get;
    assert.equal(get["x-role"], "viewer");
    assert.deepEqual(
      get.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required]),
      [
        ["thingId", "path", true],
        ["limit", "query", false],
      ],
    );
    assert.equal(get.responses["200"].content["application/json"].schema.properties.id.type, "string");
    assert.ok(get.responses["401"] && get.responses["403"], "error answers documented");
    const post = doc.paths["/api/v1/things"]?.post;
    const form = post.requestBody.content["multipart/form-data"].schema;
    assert.equal(form.properties.photo.type, "array");
    assert.deepEqual(form.required, ["name"]);
  });
});
