import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { streamEnvelopes } from "@persona/bus/testing";
import type { EnvelopeOf } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { chipToSample, splitRun, trainAndExport } from "@persona/service-trainer/classifier";
import {
  enrollPerson,
  faceDetected,
  faceTrackEnded,
  recognizerSkipReason,
  startRecognizerWorld,
  uploadPhoto,
} from "@persona/service-recognizer/testing";
import { waitFor, lfwPhoto, Teardown } from "@persona/testing";
import {
  type FaceDetector,
  type RgbImage,
  decodeImage,
  detectAndAlign,
  DEFAULT_EMBEDDER_MODEL,
  embedderSpec,
} from "@persona/vision";
import type { RunningRecognizer } from "./recognizer.ts";

const missing = recognizerSkipReason();
const photo = lfwPhoto;

describe("recognizer cascade: a published fast classifier is hot-swapped while detections flow", { skip: missing }, () => {
  let bus: Bus;
  let detector: FaceDetector;
  let recognizer: RunningRecognizer;
  const log = createLogger("cascade-test", process.env.LOG_LEVEL ?? "silent");
  const template = embedderSpec(DEFAULT_EMBEDDER_MODEL).template;

  const chipOf = async (file: string) => {
    const img = await decodeImage(file);
    const faces = await detectAndAlign(img, { detector, template });
    const face = faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
    return face ? { img, face } : null;
  };

  const enroll = async (personId: string, name: string, file: string) => {
    await bus.publish(enrollPerson(bus, { personId, name, photos: [await uploadPhoto(bus, personId, file)] }));
  };

  const publishModel = async (modelId: string, onnx: Uint8Array, classes: { personId: string | null; name: string }[]) => {
    const key = `classifier/${modelId}/model.onnx`;
    await (await bus.objectStore("models")).putBlob({ name: key }, onnx);
    await bus.publish(
      bus.envelope("ClassifierPublished", {
        modelId,
        model: {
          bucket: "models",
          key,
          contentType: "application/onnx",
          size: onnx.length,
          sha256: createHash("sha256").update(onnx).digest("hex"),
        },
        embeddingModel: DEFAULT_EMBEDDER_MODEL,
        inputSize: 68,
        classes,
        metrics: { validationAccuracy: 0.9, unknownRejection: 0.9, samples: 50, maxAbsDiffOnnx: 1e-6 },
        trainedAt: new Date().toISOString(),
      }),
    );
  };

  const detection = async (cameraId: string, trackId: string, shot: number, file: string) => {
    const r = await chipOf(file);
    return r ? faceDetected(bus, { cameraId, trackId, shot, frameNo: shot * 10, frame: r.img, face: r.face }) : null;
  };

  const started = new Teardown();
  before(async () => {
    ({ bus, detector, recognizer } = await startRecognizerWorld(
      started,
      { RECOGNIZER_CASCADE_MIN_PROBABILITY: 0.6, RECOGNIZER_CASCADE_EMBEDDING_EVERY: 0 },
      log,
    ));
  });
  after(() => started.run());

  test("no detection is dropped across two swaps; the classifier names only a confirmed track's person", async () => {
    await enroll("powell", "Colin Powell", photo("Colin_Powell", 1));
    await enroll("blair", "Tony Blair", photo("Tony_Blair", 2)); // photo 1 shows two faces
    await waitFor(() => recognizer.gallery.gallery.personCount === 2, { timeoutMs: 60_000, message: "both enrolled" });

    // a small real classifier: Powell and Blair (photos 2..21), strangers as "unknown"
    const train: { personId: string | null; chip: RgbImage; id: string }[] = [];
    for (const [person, id] of [
      ["Colin_Powell", "powell"],
      ["Tony_Blair", "blair"],
    ] as const) {
      for (let n = 3; n <= 42; n++) {
        const r = await chipOf(photo(person, n));
        if (r) train.push({ personId: id, chip: r.face.chip, id: `${id}-${n}` });
      }
    }
    for (const person of ["Jean_Chretien", "John_Ashcroft", "Serena_Williams"]) {
      for (let n = 1; n <= 4; n++) {
        const r = await chipOf(photo(person, n));
        if (r) train.push({ personId: null, chip: r.face.chip, id: `${person}-${n}` });
      }
    }
    const data = splitRun(
      train.map((t) => ({ id: t.id, personId: t.personId, sample: chipToSample(t.chip) })),
      new Map([
        ["powell", "Colin Powell"],
        ["blair", "Tony Blair"],
      ]),
      { minPerPerson: 4 },
    );
    const model = await trainAndExport(data, { train: { epochs: 20 }, minProbability: 0.6 });

    // Powell's track (photos 30..45) flows; a stranger's track is interleaved
    const powell: EnvelopeOf<"FaceDetected">[] = [];
    for (let n = 50; powell.length < 14 && n < 80; n++) {
      const d = await detection("gate", "t-powell", powell.length + 1, photo("Colin_Powell", n));
      if (d) powell.push(d);
    }
    const stranger: EnvelopeOf<"FaceDetected">[] = [];
    for (let n = 1; stranger.length < 4; n++) {
      const d = await detection("door", "t-bush", stranger.length + 1, photo("George_W_Bush", n));
      if (d) stranger.push(d);
    }
    const all = [...powell, ...stranger];
    for (const [i, d] of powell.entries()) {
      await bus.publish(d);
      const s = stranger[i];
      if (s) await bus.publish(s);
      if (i === 3) {
        await publishModel("m1", model.onnx, model.classes);
        await waitFor(() => recognizer.cascade?.stats.modelId === "m1", { timeoutMs: 20_000, message: "m1 loaded" });
      }
      if (i === 8) await publishModel("m2", model.onnx, model.classes); // swapped while shots are in flight
      await new Promise((r) => setTimeout(r, 30));
    }
    for (const [cam, t, n] of [
      ["gate", "t-powell", powell.length],
      ["door", "t-bush", stranger.length],
    ] as const) {
      await bus.publish(faceTrackEnded(bus, cam, t, n));
    }
    const concluded = await waitFor(
      async () => {
        const c = (await streamEnvelopes(bus, "SIGHTINGS")).filter((e) => e.type === "TrackConcluded");
        return c.length === 2 ? c : undefined;
      },
      { timeoutMs: 120_000, message: "both tracks concluded" },
    );
    const sightings = await streamEnvelopes(bus, "SIGHTINGS");
    const outcomes = sightings.filter((e) => e.type === "FaceRecognized" || e.type === "UnknownFaceSeen");
    // exactly one outcome per detection: nothing dropped, nothing doubled
    const byDetection = new Map<string, number>();
    for (const o of outcomes) {
      if (o.type === "FaceRecognized" || o.type === "UnknownFaceSeen") {
        byDetection.set(o.data.detectionId, (byDetection.get(o.data.detectionId) ?? 0) + 1);
      }
    }
    assert.equal(byDetection.size, all.length, "every detection has an outcome");
    assert.ok(
      [...byDetection.values()].every((n) => n === 1),
      "one outcome each",
    );
    const fast = outcomes.filter((o) => o.type === "FaceRecognized" && o.data.via === "classifier");
    assert.ok(fast.length > 0, `the classifier named some faces (stats ${JSON.stringify(recognizer.cascade?.stats)})`);
    for (const f of fast) {
      assert.ok(f.type === "FaceRecognized");
      assert.equal(f.data.trackId, "t-powell");
      assert.equal(f.data.personId, "powell");
      assert.equal(f.data.decision, "confirmed");
    }
    const bush = outcomes.filter((o) => o.data.trackId === "t-bush");
    assert.ok(
      bush.every((o) => o.type === "UnknownFaceSeen" || o.data.via === "embedding"),
      "a stranger never via classifier",
    );
    const powellConcluded = concluded.find((c) => c.type === "TrackConcluded" && c.data.trackId === "t-powell");
    assert.ok(powellConcluded?.type === "TrackConcluded");
    assert.equal(powellConcluded.data.outcome.kind === "recognized" && powellConcluded.data.outcome.personId, "powell");
    assert.equal(recognizer.cascade?.stats.modelId, "m2");
    assert.ok((recognizer.cascade?.holder.releasedCount ?? 0) >= 1, "the swapped-out session was released");
  });
});
