import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@persona/runtime";
import { type RunningRecognizer, configSchema, startRecognizer } from "@persona/service-recognizer";
import { lfwPhoto, lfwSkipReason } from "@persona/testing";
import { DEFAULT_EMBEDDER_MODEL, decodeImage, embedderSpec, encodeJpeg, resolveModelPath } from "@persona/vision";
import type { z } from "zod";
import type { IdentifyResult } from "./http/schemas.ts";
import { MODELS_NEEDED } from "./search/photoSearch.ts";
import { ADMIN, type Client, type Harness, call, login, startHarness, startReplica } from "./testSupport.ts";

const skip = lfwSkipReason(resolveModelPath(embedderSpec(DEFAULT_EMBEDDER_MODEL).file));
if (skip) console.log(`# identify.int.test skipped: ${skip}`);

type Result = z.infer<typeof IdentifyResult>;

const photoForm = (bytes: Buffer, name = "photo.jpg", type = "image/jpeg") => {
  const f = new FormData();
  f.append("photo", new Blob([bytes], { type }), name);
  return f;
};

describe("search by photo (POST /identify) with the real recognizer, models and LFW photos", { skip }, () => {
  let h: Harness;
  let recognizer: RunningRecognizer;
  let admin: Client;
  let operator: Client;
  let viewer: Client;
  let personId: string;
  const photo = (person: string, n: number) => readFileSync(lfwPhoto(person, n));

  before(async () => {
    h = await startHarness();
    recognizer = await startRecognizer(h.bus, configSchema.parse({}), createLogger("recognizer", "silent"));
    [admin, operator, viewer] = await h.clients(["olga", "operator"], ["victor", "viewer"]);
    // enrolled through the portal and the real recognizer, as an operator does
    const f = new FormData();
    f.append("name", "Colin Powell");
    for (const n of [1, 2, 3]) f.append("photo", new Blob([photo("Colin_Powell", n)], { type: "image/jpeg" }), `cp${n}.jpg`);
    const r = await call<{ personId: string; enrolled: boolean }>(h.portal.url, "POST", "/people", { client: operator, form: f });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    personId = r.body.personId;
  });
  after(async () => {
    await recognizer?.stop();
    await h?.dispose();
  });

  test("another photo of an enrolled person: their face named, that person first; the faces behind them unknown", async () => {
    const r = await call<Result>(h.portal.url, "POST", "/identify", {
      client: operator,
      form: photoForm(photo("Colin_Powell", 10)),
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.model, "fr_feature+flip");
    assert.equal(r.body.gallery.people, 1);
    assert.equal(r.body.gallery.templates, 3);
    // Colin_Powell_0010: him, and two people in the background
    assert.equal(r.body.faces.length, 3, JSON.stringify(r.body.faces));
    const sorted = [...r.body.faces].sort((a, b) => b.box.width - a.box.width);
    const face = sorted[0] as Result["faces"][number];
    const behind = sorted.slice(1);
    for (const b of behind) assert.equal(b.decision, "unknown", JSON.stringify(b));
    assert.equal(face.decision, "named", JSON.stringify({ face, thresholds: r.body.thresholds }));
    assert.equal(face.personId, personId);
    assert.equal(face.name, "Colin Powell");
    assert.equal(face.matches[0]?.personId, personId);
    assert.ok((face.similarity ?? 0) >= r.body.thresholds.singleShot);
    // the box is on the face, in the photo's pixels (LFW: 250x250, the face about in the middle)
    assert.equal(r.body.width, 250);
    assert.ok(face.box.x > 40 && face.box.x + face.box.width < 210, JSON.stringify(face.box));
  });

  test("a stranger: unknown, the closest person still listed with a low similarity", async () => {
    const r = await call<Result>(h.portal.url, "POST", "/identify", {
      client: admin,
      form: photoForm(photo("Aaron_Eckhart", 1)),
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const face = r.body.faces[0] as Result["faces"][number];
    assert.equal(face.decision, "unknown", JSON.stringify(face));
    assert.equal(face.personId, null);
    assert.ok((face.matches[0]?.similarity ?? 0) < r.body.thresholds.probable);
  });

  test("bad input: not an image 415, a corrupt image 415, no photo 400, no face 422", async () => {
    const text = await call(h.portal.url, "POST", "/identify", {
      client: operator,
      form: photoForm(Buffer.from("hello, not a jpeg"), "notes.jpg"),
    });
    assert.equal(text.status, 415, JSON.stringify(text.body));
    const cut = photo("Colin_Powell", 4).subarray(0, 200);
    const corrupt = await call<{ error: { code: string } }>(h.portal.url, "POST", "/identify", {
      client: operator,
      form: photoForm(cut),
    });
    assert.equal(corrupt.status, 415, JSON.stringify(corrupt.body));
    assert.equal((await call(h.portal.url, "POST", "/identify", { client: operator, form: new FormData() })).status, 400);
    // a real photo with no face: the bottom strip of an LFW photo
    const img = await decodeImage(photo("Colin_Powell", 5));
    const rows = 50;
    const wall = await encodeJpeg({ data: img.data.slice((img.height - rows) * img.width * 3), width: img.width, height: rows });
    const none = await call<{ error: { code: string } }>(h.portal.url, "POST", "/identify", {
      client: operator,
      form: photoForm(wall),
    });
    assert.equal(none.status, 422, JSON.stringify(none.body));
    assert.equal(none.body.error.code, "no-face");
  });

  test("too large: 413", async () => {
    const big = Buffer.concat([photo("Colin_Powell", 1), Buffer.alloc(21 * 1024 * 1024)]);
    const r = await call(h.portal.url, "POST", "/identify", { client: operator, form: photoForm(big) });
    assert.equal(r.status, 413);
  });

  test("logged out 401, a viewer 403", async () => {
    assert.equal((await call(h.portal.url, "POST", "/identify", { form: photoForm(photo("Colin_Powell", 10)) })).status, 401);
    const v = await call(h.portal.url, "POST", "/identify", { client: viewer, form: photoForm(photo("Colin_Powell", 10)) });
    assert.equal(v.status, 403);
  });

  test("without the models: the portal runs, the search answers 503 saying how to get them", async () => {
    const empty = mkdtempSync(join(tmpdir(), "persona-no-models-"));
    const before = process.env.PERSONA_MODELS_DIR;
    process.env.PERSONA_MODELS_DIR = empty;
    const replica = await startReplica(h, { projections: false });
    try {
      const me = await login(replica.url, ADMIN.username, ADMIN.password);
      const r = await call<{ error: { code: string; message: string } }>(replica.url, "POST", "/identify", {
        client: me,
        form: photoForm(photo("Colin_Powell", 10)),
      });
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.message, MODELS_NEEDED);
      assert.equal((await call(replica.url, "GET", "/people", { client: me })).status, 200);
    } finally {
      if (before === undefined) delete process.env.PERSONA_MODELS_DIR;
      else process.env.PERSONA_MODELS_DIR = before;
      await replica.stop();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
