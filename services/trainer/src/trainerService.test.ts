import assert from "node:assert/strict";
import { test } from "node:test";
import type { Bus } from "@persona/bus";
import { type AnyEnvelope, AnyEnvelopeSchema } from "@persona/contracts";
import { encodeEmbedding } from "@persona/library";
import { createLogger } from "@persona/runtime";
import { encodeJpeg } from "@persona/vision";
import { ACCEPT_DEFAULTS } from "./classifier/evaluate.ts";
import { FastClassifierTrainer } from "./trainerService.ts";

const quality = { score: 0.8, faceSize: 100, eyeDistance: 40, sharpness: 100, yaw: 0, pitch: 0, roll: 0 };
const now = new Date().toISOString();
const env = (type: string, data: object): AnyEnvelope =>
  AnyEnvelopeSchema.parse({
    id: crypto.randomUUID(),
    type,
    version: 1,
    occurredAt: now,
    source: "test",
    correlationId: crypto.randomUUID(),
    causationId: null,
    data,
  });

test("training data bookkeeping: what the trainer learns from, and what it must not", async () => {
  const t = new FastClassifierTrainer(
    {} as Bus,
    {
      dataDir: "/nonexistent",
      scheduleMinutes: 60,
      debounceSeconds: 3600,
      leaseTtlSeconds: 30,
      epochs: 1,
      nice: 19,
      minPerPerson: 2,
      minProbability: 0.9,
      embeddingModel: "dlib-resnet29",
      limits: { maxPerPerson: 10, maxUnknown: 10 },
      accept: ACCEPT_DEFAULTS,
    },
    createLogger("t", "silent"),
  );
  const chip = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(120) };
  const crop = { kind: "inline", contentType: "image/jpeg", base64: (await encodeJpeg(chip, 90)).toString("base64") };
  const recognized = (over: object) =>
    env("FaceRecognized", {
      cameraId: "gate",
      trackId: "t1",
      detectionId: crypto.randomUUID(),
      personId: "ann",
      personName: "Ann",
      similarity: 0.95,
      margin: 0.1,
      decision: "confirmed",
      votes: { agreeing: 2, total: 2 },
      quality,
      frameAt: now,
      crop,
      via: "embedding",
      ...over,
    });
  const unknown = (trackId: string) =>
    env("UnknownFaceSeen", {
      cameraId: "gate",
      trackId,
      detectionId: crypto.randomUUID(),
      bestSimilarity: 0.2,
      bestPersonId: null,
      quality,
      frameAt: now,
      crop,
      embedding: { model: "m", dims: 2, base64: encodeEmbedding(new Float32Array(2)) },
    });
  const concluded = (trackId: string, kind: "unknown" | "undecided") =>
    env("TrackConcluded", {
      cameraId: "gate",
      trackId,
      startedAt: now,
      endedAt: now,
      frames: 1,
      shots: 1,
      bestQuality: 0.5,
      outcome: kind === "unknown" ? { kind, bestSimilarity: 0.2 } : { kind, reason: "tie" },
    });
  const bank = () => t.statusNow().bank;

  await t.apply(recognized({}));
  assert.equal(bank().crops, 1, "a confirmed embedding recognition is learned");
  await t.apply(recognized({ decision: "probable" }));
  await t.apply(recognized({ via: "classifier" }));
  assert.equal(bank().crops, 1, "probable ones and the classifier's own answers are not");

  await t.apply(unknown("u1"));
  await t.apply(unknown("u2"));
  assert.equal(bank().unknown, 0, "unknown crops wait for their track");
  await t.apply(concluded("u1", "unknown"));
  await t.apply(concluded("u2", "undecided"));
  assert.equal(bank().unknown, 1, "only tracks concluded unknown feed the unknown class");

  const templateId = crypto.randomUUID();
  await t.apply(
    env("FaceTemplateAdded", {
      personId: "bob",
      templateId,
      embedding: { model: "m", dims: 2, base64: encodeEmbedding(new Float32Array(2)) },
      quality,
      crop,
      origin: { kind: "operator", by: "op" },
    }),
  );
  assert.equal(bank().people, 2);
  await t.apply(env("FaceTemplateReverted", { personId: "bob", templateId, by: "op", reason: "wrong" }));
  assert.equal(bank().people, 1, "a reverted template's crop is forgotten");
  await t.apply(env("PersonRemoved", { personId: "ann", reason: "left", by: "op" }));
  await t.apply(recognized({}));
  assert.equal(bank().people, 0, "a removed person is forgotten, and a lagging sighting does not bring them back");
  await t.stop();
});
