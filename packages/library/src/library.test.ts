import assert from "node:assert/strict";
import { test } from "node:test";
import { type EnvelopeOf, makeEnvelope } from "@persona/contracts";
import { personIdFromImportKey } from "./ids.ts";
import { type LibraryEvent, decodeEmbedding, emptyLibrary, encodeEmbedding, evolve } from "./library.ts";

const quality = { score: 0.9, faceSize: 120, eyeDistance: 45, sharpness: 100, yaw: 0, pitch: 0, roll: 0 };
const photo = { bucket: "photos", key: "p1/a.jpg", contentType: "image/jpeg", size: 10, sha256: "a".repeat(64) };
const src = { source: "test" };

const enrolled = (personId: string, name: string, importKey: string | null = null) =>
  makeEnvelope(
    "PersonEnrolled",
    { personId, name, description: "Dean", photos: [photo], sound: null, source: "import", importKey },
    src,
  );
const template = (personId: string, templateId: string) =>
  makeEnvelope(
    "FaceTemplateAdded",
    {
      personId,
      templateId,
      embedding: { model: "dlib", dims: 2, base64: encodeEmbedding(new Float32Array([0.6, 0.8])) },
      quality,
      crop: null,
      origin: { kind: "enrollment", photo },
    },
    src,
  );

test("given an enrolled person with a template, the library holds both (Cyrillic name exactly)", () => {
  const s = emptyLibrary();
  evolve(s, enrolled("p1", "Анна Каренина", "anna"));
  const t = template("p1", crypto.randomUUID());
  assert.deepEqual(evolve(s, t), { kind: "template-added", personId: "p1", templateId: t.data.templateId });
  const p = s.people.get("p1");
  assert.equal(p?.name, "Анна Каренина");
  assert.equal(p?.templates.size, 1);
  assert.equal(s.byImportKey.get("anna"), "p1");
  assert.equal(p?.templates.get(t.data.templateId)?.photoSha256, photo.sha256);
});

test("applying the same events twice gives the same state (idempotent)", () => {
  const events: LibraryEvent[] = [enrolled("p1", "A"), template("p1", crypto.randomUUID())];
  const once = emptyLibrary();
  const twice = emptyLibrary();
  for (const e of events) evolve(once, e);
  for (const e of [...events, ...events]) evolve(twice, e);
  assert.deepEqual(twice, once);
});

test("a sequence at or below the last applied one is skipped", () => {
  const s = emptyLibrary();
  evolve(s, enrolled("p1", "A"), 5);
  assert.deepEqual(evolve(s, enrolled("p2", "B"), 5), { kind: "none" });
  assert.equal(s.people.has("p2"), false);
});

test("updates change only the given fields; watchlist can be set and cleared", () => {
  const s = emptyLibrary();
  evolve(s, enrolled("p1", "A"));
  const upd = (data: Partial<EnvelopeOf<"PersonUpdated">["data"]>) =>
    makeEnvelope("PersonUpdated", { personId: "p1", by: "admin", ...data }, src);
  evolve(s, upd({ watchlist: { reason: "trespass" } }));
  assert.deepEqual(s.people.get("p1")?.watchlist, { reason: "trespass" });
  assert.equal(s.people.get("p1")?.description, "Dean");
  evolve(s, upd({ name: "B", watchlist: null }));
  assert.equal(s.people.get("p1")?.name, "B");
  assert.equal(s.people.get("p1")?.watchlist, null);
  assert.deepEqual(evolve(s, makeEnvelope("PersonUpdated", { personId: "ghost", by: "x", name: "C" }, src)), { kind: "none" });
});

test("removal forgets the person, their templates and import key; late templates of them are ignored", () => {
  const s = emptyLibrary();
  evolve(s, enrolled("p1", "A", "folder-a"));
  evolve(s, template("p1", crypto.randomUUID()));
  assert.deepEqual(evolve(s, makeEnvelope("PersonRemoved", { personId: "p1", reason: "left", by: "admin" }, src)), {
    kind: "person-removed",
    personId: "p1",
  });
  assert.equal(s.people.size, 0);
  assert.equal(s.byImportKey.size, 0);
  assert.deepEqual(evolve(s, template("p1", crypto.randomUUID())), { kind: "none" });
});

test("a reverted template is gone; reverting twice changes nothing; rejections change nothing", () => {
  const s = emptyLibrary();
  evolve(s, enrolled("p1", "A"));
  const t = template("p1", crypto.randomUUID());
  evolve(s, t);
  const rev = makeEnvelope(
    "FaceTemplateReverted",
    { personId: "p1", templateId: t.data.templateId, by: "op", reason: "wrong" },
    src,
  );
  assert.equal(evolve(s, rev).kind, "template-removed");
  assert.equal(evolve(s, rev).kind, "none");
  const rej = makeEnvelope(
    "EnrollmentRejected",
    { requestId: crypto.randomUUID(), personId: null, name: "X", reason: "no-face", message: "no face found" },
    src,
  );
  assert.equal(evolve(s, rej).kind, "none");
});

test("embeddings round-trip through base64; a wrong length is an error", () => {
  const v = new Float32Array([0.1, -0.2, 0.3]);
  assert.deepEqual(decodeEmbedding(encodeEmbedding(v), 3), v);
  assert.throws(() => decodeEmbedding(encodeEmbedding(v), 4), /expected 16/);
});

test("person ids from import keys are stable, distinct and valid subject tokens", () => {
  assert.equal(personIdFromImportKey("Anna"), personIdFromImportKey("Anna"));
  assert.notEqual(personIdFromImportKey("Anna"), personIdFromImportKey("anna2"));
  assert.match(personIdFromImportKey("Анна / x.y"), /^[A-Za-z0-9_-]+$/);
});
