import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEnvelope } from "@persona/contracts";
import {
  type Decision,
  type EnrollCommand,
  type LibraryCommand,
  type PhotoOutcome,
  decide,
  enrollmentTemplateId,
} from "./decide.ts";
import { type LibraryEvent, emptyLibrary, encodeEmbedding, evolve } from "./library.ts";

// Given/When/Then: given these events (folded with `evolve`), when this command, then these events or this rejection.

const quality = { score: 0.9, faceSize: 120, eyeDistance: 45, sharpness: 100, yaw: 0, pitch: 0, roll: 0 };
const src = { source: "test" };
const MODEL = "arcface-r100";
const photoOf = (personId: string, c: string) => ({
  bucket: "photos",
  key: `${personId}/${c}.jpg`,
  contentType: "image/jpeg",
  size: 10,
  sha256: c.repeat(64),
});
const embedding = { model: MODEL, dims: 2, base64: encodeEmbedding(new Float32Array([0.6, 0.8])) };

const enrolled = (personId: string, name = "Ann") =>
  makeEnvelope(
    "PersonEnrolled",
    { personId, name, description: "d", photos: [], sound: null, source: "cli", importKey: null },
    src,
  );
const templateAdded = (personId: string, templateId: string, sha = "a") =>
  makeEnvelope(
    "FaceTemplateAdded",
    { personId, templateId, embedding, quality, crop: null, origin: { kind: "enrollment", photo: photoOf(personId, sha) } },
    src,
  );
const removed = (personId: string) => makeEnvelope("PersonRemoved", { personId, reason: "left", by: "t" }, src);
const reverted = (personId: string, templateId: string) =>
  makeEnvelope("FaceTemplateReverted", { personId, templateId, by: "t", reason: "wrong" }, src);

function given(...events: LibraryEvent[]) {
  const state = emptyLibrary();
  for (const [i, e] of events.entries()) evolve(state, e, i + 1);
  return {
    when: (command: LibraryCommand): Decision => decide(command, state),
  };
}

const types = (d: Decision) => ("events" in d ? d.events.map((e) => e.type) : d.rejected.code);

const face: PhotoOutcome = { kind: "face", embedding, quality, crop: null };
const enroll = (over: Partial<EnrollCommand> & { photos: EnrollCommand["photos"] }): EnrollCommand => ({
  kind: "enroll",
  requestId: "00000000-0000-4000-8000-000000000001",
  personId: "ann",
  existing: false,
  person: { name: "Ann", description: "", photos: [], sound: null, source: "portal", importKey: null },
  allowDuplicate: false,
  model: MODEL,
  ...over,
});

test("enroll: given nothing, a new person with an accepted and a refused photo: PersonEnrolled (accepted photos), a template, a rejection", () => {
  const [a, b] = [photoOf("ann", "a"), photoOf("ann", "b")];
  const d = given().when(
    enroll({
      photos: [
        { photo: a, outcome: face },
        { photo: b, outcome: { kind: "refused", reason: "no-face", message: "no face" } },
      ],
    }),
  );
  assert.deepEqual(types(d), ["PersonEnrolled", "FaceTemplateAdded", "EnrollmentRejected"]);
  assert.ok("events" in d);
  const [e, t, r] = d.events;
  assert.deepEqual(e?.type === "PersonEnrolled" && e.data.photos, [a]);
  assert.equal(e?.key, "enrolled");
  assert.equal(t?.type === "FaceTemplateAdded" && t.data.templateId, enrollmentTemplateId("ann", a.sha256, MODEL));
  assert.equal(t?.key, `template/${a.sha256}`);
  assert.equal(r?.type === "EnrollmentRejected" && r.data.message, `${b.key}: no face`);
  assert.equal(r?.key, `rejected/${b.sha256}`);
});

test("enroll: no accepted photo, no PersonEnrolled; an existing person gets only templates", () => {
  const a = photoOf("ann", "a");
  const refused: PhotoOutcome = { kind: "refused", reason: "bad-image", message: "x" };
  assert.deepEqual(types(given().when(enroll({ photos: [{ photo: a, outcome: refused }] }))), ["EnrollmentRejected"]);
  assert.deepEqual(types(given(enrolled("ann")).when(enroll({ existing: true, photos: [{ photo: a, outcome: face }] }))), [
    "FaceTemplateAdded",
  ]);
});

test("enroll: photos for a removed person are refused unknown-person, whatever the recognizer saw", () => {
  const d = given(enrolled("ann"), removed("ann")).when(
    enroll({ existing: true, photos: [{ photo: photoOf("ann", "a"), outcome: face }] }),
  );
  assert.ok("events" in d);
  assert.equal(d.events[0]?.type === "EnrollmentRejected" && d.events[0].data.reason, "unknown-person");
});

test("enroll: the same photo of the same model is a duplicate; of another model it is a new template", () => {
  const id = enrollmentTemplateId("ann", "a".repeat(64), MODEL);
  const g = given(enrolled("ann"), templateAdded("ann", id, "a"));
  const dup = g.when(enroll({ existing: true, photos: [{ photo: photoOf("ann", "a"), outcome: face }] }));
  assert.ok("events" in dup);
  assert.equal(dup.events[0]?.type === "EnrollmentRejected" && dup.events[0].data.reason, "duplicate");
  const other = g.when(enroll({ existing: true, model: "dlib", photos: [{ photo: photoOf("ann", "a"), outcome: face }] }));
  assert.deepEqual(types(other), ["FaceTemplateAdded"]);
});

test("enroll: another person's photo or face is duplicate-of them, unless duplicates are allowed", () => {
  const g = given(enrolled("bob", "Bob"), templateAdded("bob", crypto.randomUUID(), "a"));
  const photo = photoOf("bob", "a");
  const d = g.when(enroll({ photos: [{ photo, outcome: face }] }));
  assert.ok("events" in d);
  const r = d.events[0];
  assert.equal(r?.type === "EnrollmentRejected" && r.data.reason, "duplicate-of");
  assert.deepEqual(r?.type === "EnrollmentRejected" && r.data.duplicateOf, {
    personId: "bob",
    name: "Bob",
    samePhoto: true,
    similarity: null,
  });
  assert.deepEqual(types(g.when(enroll({ allowDuplicate: true, photos: [{ photo, outcome: face }] }))), [
    "PersonEnrolled",
    "FaceTemplateAdded",
  ]);
  const sameFace: PhotoOutcome = {
    ...face,
    sameFace: { personId: "bob", name: "Bob", samePhoto: false, similarity: 0.71, threshold: 0.5 },
  } as PhotoOutcome;
  const f = g.when(enroll({ photos: [{ photo: photoOf("ann", "c"), outcome: sameFace }] }));
  assert.ok("events" in f);
  assert.match(
    f.events[0]?.type === "EnrollmentRejected" ? f.events[0].data.message : "",
    /matches their template at 0\.710.*from 0\.500/,
  );
});

test("update-person: given a person, a change is PersonUpdated; a change to nothing is no event; an unknown person is rejected", () => {
  const g = given(enrolled("ann"));
  assert.deepEqual(types(g.when({ kind: "update-person", change: { personId: "ann", name: "Anna", by: "x" } })), [
    "PersonUpdated",
  ]);
  assert.deepEqual(
    types(g.when({ kind: "update-person", change: { personId: "ann", name: "Ann", description: "d", by: "x" } })),
    [],
  );
  assert.deepEqual(types(g.when({ kind: "update-person", change: { personId: "ann", watchlist: { reason: "r" }, by: "x" } })), [
    "PersonUpdated",
  ]);
  assert.deepEqual(
    types(
      given(enrolled("ann"), removed("ann")).when({ kind: "update-person", change: { personId: "ann", name: "B", by: "x" } }),
    ),
    "unknown-person",
  );
});

test("remove-person: given a person, PersonRemoved; given a removed one, rejected", () => {
  const cmd: LibraryCommand = { kind: "remove-person", personId: "ann", reason: "left", by: "x" };
  assert.deepEqual(types(given(enrolled("ann")).when(cmd)), ["PersonRemoved"]);
  assert.deepEqual(types(given(enrolled("ann"), removed("ann")).when(cmd)), "unknown-person");
  assert.deepEqual(types(given().when(cmd)), "unknown-person");
});

test("revert-template: a live template is reverted; a reverted or unknown one is rejected", () => {
  const id = crypto.randomUUID();
  const cmd: LibraryCommand = { kind: "revert-template", personId: "ann", templateId: id, by: "x", reason: "r" };
  assert.deepEqual(types(given(enrolled("ann"), templateAdded("ann", id)).when(cmd)), ["FaceTemplateReverted"]);
  assert.deepEqual(types(given(enrolled("ann"), templateAdded("ann", id), reverted("ann", id)).when(cmd)), "unknown-template");
  assert.deepEqual(types(given(enrolled("ann")).when(cmd)), "unknown-template");
  assert.deepEqual(types(given().when(cmd)), "unknown-person");
});

test("add-templates: to a known person, skipping those already there and retiring only live ones; unknown person rejected", () => {
  const [t1, t2, old, gone] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  const tpl = (templateId: string) => ({
    templateId,
    embedding,
    quality,
    crop: null,
    origin: { kind: "operator" as const, by: "op" },
  });
  const cmd: LibraryCommand = {
    kind: "add-templates",
    personId: "ann",
    templates: [tpl(t1), tpl(t2), tpl(t2)],
    retire: [
      { templateId: old, by: "trainer", reason: "bound" },
      { templateId: gone, by: "trainer", reason: "bound" },
    ],
  };
  const d = given(enrolled("ann"), templateAdded("ann", t1), templateAdded("ann", old, "b")).when(cmd);
  assert.ok("events" in d);
  assert.deepEqual(
    d.events.map((e) => [e.type, "templateId" in e.data ? e.data.templateId : null]),
    [
      ["FaceTemplateAdded", t2],
      ["FaceTemplateReverted", old],
    ],
  );
  assert.deepEqual(types(given().when(cmd)), "unknown-person");
  const person = { name: "Visitor", description: "", photos: [], sound: null, source: "visitor" as const, importKey: null };
  assert.deepEqual(types(given().when({ ...cmd, retire: [], enrollIfAbsent: person })), [
    "PersonEnrolled",
    "FaceTemplateAdded",
    "FaceTemplateAdded",
  ]);
  assert.deepEqual(types(given(enrolled("ann")).when({ ...cmd, retire: [], enrollIfAbsent: person })), [
    "FaceTemplateAdded",
    "FaceTemplateAdded",
  ]);
});

test("record-rejection: always recorded", () => {
  const rejection = {
    requestId: crypto.randomUUID(),
    personId: null,
    name: "A",
    reason: "invalid-request" as const,
    message: "m",
  };
  assert.deepEqual(types(given().when({ kind: "record-rejection", rejection })), ["EnrollmentRejected"]);
});
