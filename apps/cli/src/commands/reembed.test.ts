import assert from "node:assert/strict";
import { test } from "node:test";
import type { BlobRef } from "@persona/contracts";
import type { PersonState, TemplateState } from "@persona/library";
import { UsageError } from "../errors.ts";
import { photosToReembed, recognizerTemplateModel } from "./people.ts";

const blob = (sha: string): BlobRef => ({
  bucket: "photos",
  key: `p/${sha}.jpg`,
  contentType: "image/jpeg",
  size: 10,
  sha256: sha,
});
const template = (id: string, model: string, origin: TemplateState["origin"]): TemplateState => ({
  templateId: id,
  model,
  dims: 4,
  embeddingBase64: "",
  quality: { score: 1, faceSize: 100, eyeDistance: 40, sharpness: 1, yaw: 0, pitch: 0, roll: 0 },
  origin,
  addedAt: "2026-11-29T00:00:00.000Z",
  photoSha256: origin.kind === "enrollment" ? origin.photo.sha256 : null,
});
const person = (templates: TemplateState[], photos: BlobRef[]): PersonState => ({
  personId: "p",
  name: "P",
  description: "",
  photos,
  sound: null,
  watchlist: null,
  source: "cli",
  importKey: null,
  enrolledAt: "2026-11-29T00:00:00.000Z",
  updatedAt: "2026-11-29T00:00:00.000Z",
  templates: new Map(templates.map((t) => [t.templateId, t])),
});

test("reembed plans the enrollment photos with templates of other models only", () => {
  const p = person(
    [
      template("a-old", "mobileface", { kind: "enrollment", photo: blob("a") }),
      template("a-new", "dlib-resnet29", { kind: "enrollment", photo: blob("a") }),
      template("b-old", "mobileface", { kind: "enrollment", photo: blob("b") }),
      template("b-older", "faceres", { kind: "enrollment", photo: blob("b") }),
      template("s", "mobileface", { kind: "operator", by: "admin" }),
    ],
    // photo c: in the person's photos, but its template was reverted (it is not in the state any more)
    [blob("a"), blob("b"), blob("c")],
  );
  assert.deepEqual(
    photosToReembed(p, "dlib-resnet29").map((b) => b.sha256),
    ["b"],
    "a has a dlib template; b is sent once; c's reverted template stays reverted; operator templates have no photo",
  );
  assert.deepEqual(photosToReembed(p, "mobileface"), []);
  assert.deepEqual(
    photosToReembed(p, "dlib-resnet29+flip").map((b) => b.sha256),
    ["a", "b"],
  );
});

test("reembed's default model is the recognizers' RECOGNIZER_MODEL and RECOGNIZER_FLIP", () => {
  assert.equal(recognizerTemplateModel({}), "fr_feature+flip");
  assert.equal(recognizerTemplateModel({ RECOGNIZER_MODEL: "mobileface", RECOGNIZER_FLIP: "true" }), "mobileface+flip");
  assert.equal(recognizerTemplateModel({ RECOGNIZER_FLIP: "0" }), "fr_feature");
  assert.equal(recognizerTemplateModel({ RECOGNIZER_MODEL: "dlib-resnet29", RECOGNIZER_FLIP: "no" }), "dlib-resnet29");
  assert.throws(() => recognizerTemplateModel({ RECOGNIZER_MODEL: "arcface" }), UsageError);
  assert.throws(() => recognizerTemplateModel({ RECOGNIZER_FLIP: "on" }), UsageError, "the recognizer refuses it too");
});
