import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, streamEnvelopes, testBus } from "@persona/bus/testing";
import type { EnvelopeOf } from "@persona/contracts";
import { encodeEmbedding } from "@persona/library";
import { createLogger } from "@persona/runtime";
import { type NatsServerHandle, Teardown, lfwPhoto, lfwSkipReason, startNatsServer, waitFor } from "@persona/testing";
import {
  Embedder,
  FaceDetector,
  Gallery,
  decodeImage,
  detectAndAlign,
  embedderSpec,
  encodeJpeg,
  resolveModelPath,
} from "@persona/vision";
import { GROWTH_DEFAULTS } from "@persona/recognition";
import { GalleryGrowth, templateIdOf } from "./service.ts";

const missing = lfwSkipReason(resolveModelPath("dlib-resnet29.onnx"));
const photo = lfwPhoto;
const quality = { score: 0.8, faceSize: 110, eyeDistance: 42, sharpness: 120, yaw: 0, pitch: 0, roll: 0 };

interface Shot {
  path: string;
  jpeg: Buffer;
  /** the embedding of the decoded JPEG chip, as the trainer will compute it */
  vector: Float32Array;
}

const templatesAdded = (bus: Bus) => streamEnvelopes(bus, "LIBRARY", "FaceTemplateAdded");

describe("gallery growth against a real nats-server, the real embedder and real LFW photos", { skip: missing }, () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let detector: FaceDetector;
  let embedder: Embedder;
  let growth: GalleryGrowth;
  const log = createLogger("growth-test", "silent");

  const shot = async (path: string): Promise<Shot> => {
    const [face] = await detectAndAlign(await decodeImage(path), { detector, template: embedder.template });
    assert.ok(face, `no face in ${path}`);
    const jpeg = await encodeJpeg(face.chip, 90);
    const vector = (await embedder.embed([await decodeImage(jpeg)]))[0] as Float32Array;
    return { path, jpeg, vector };
  };

  const enroll = async (personId: string, name: string, s: Shot) => {
    await bus.publish(bus.envelope("PersonEnrolled", personEnrolled(personId, name)));
    const ack = await bus.publish(
      bus.envelope("FaceTemplateAdded", {
        personId,
        templateId: crypto.randomUUID(),
        embedding: { model: embedder.spec.name, dims: embedder.dims, base64: encodeEmbedding(s.vector) },
        quality,
        crop: null,
        origin: {
          kind: "enrollment",
          photo: { bucket: "photos", key: `${personId}/1.jpg`, contentType: "image/jpeg", size: 1, sha256: "0".repeat(64) },
        },
      }),
    );
    return ack.seq;
  };

  const recognized = (personId: string, s: Shot, votes = 3) => {
    const env = bus.envelope("FaceRecognized", {
      cameraId: "door",
      trackId: crypto.randomUUID(),
      detectionId: crypto.randomUUID(),
      personId,
      personName: personId,
      similarity: 0.96,
      margin: 0.1,
      decision: "confirmed",
      votes: { agreeing: votes, total: votes },
      quality,
      frameAt: new Date().toISOString(),
      crop: { kind: "inline", contentType: "image/jpeg", base64: s.jpeg.toString("base64") },
      via: "embedding",
    });
    return env;
  };

  const started = new Teardown();
  before(async () => {
    server = started.use(await startNatsServer());
    bus = started.use(await testBus(server.url, "trainer"));
    detector = started.use(await FaceDetector.create());
    embedder = started.use(await Embedder.create({ model: embedderSpec("dlib-resnet29"), flip: false }));
    started.after(() => growth?.stop()); // the test's last growth service, whichever it is then
  });
  after(() => started.run());

  test("a new photo adds one self-learned template; a near-duplicate and an ambiguous face add none", async () => {
    const o = GROWTH_DEFAULTS;
    // Colin Powell enrolled from his first photo; Rumsfeld and his "twin" (enrolled from another Rumsfeld photo)
    const colin = await shot(photo("Colin_Powell", 1));
    await enroll("colin", "Colin Powell", colin);
    const rums = [await shot(photo("Donald_Rumsfeld", 1)), await shot(photo("Donald_Rumsfeld", 2))];
    await enroll("donald", "Donald Rumsfeld", rums[0] as Shot);
    const lastSeq = await enroll("donald-twin", "Not Donald", rums[1] as Shot);

    // a photo of Colin the policy should take: measured here against the same gallery, with the real embedder
    const g = new Gallery({ dims: embedder.dims });
    g.add("colin", colin.vector);
    g.add("donald", (rums[0] as Shot).vector);
    g.add("donald-twin", (rums[1] as Shot).vector);
    let fresh: Shot | null = null;
    for (let n = 2; n <= 40 && !fresh; n++) {
      const s = await shot(photo("Colin_Powell", n));
      const [best, second] = g.searchPeople(s.vector, 2);
      if (
        best?.personId === "colin" &&
        best.similarity >= o.minSimilarity &&
        best.similarity < o.dedupeSimilarity &&
        best.similarity - (second?.similarity ?? -1) >= o.minMargin
      )
        fresh = s;
    }
    assert.ok(fresh, "some photo of Colin Powell among the first 40 is a confident new view");
    // a third Rumsfeld photo is close to both Donald and his twin: no clear lead
    const ambiguous = await shot(photo("Donald_Rumsfeld", 3));

    growth = new GalleryGrowth({ bus, embedder, options: o, log });
    await growth.start();
    assert.equal(growth.library.seq, lastSeq);
    assert.equal(growth.gallery.size, 3);

    const accepted = recognized("colin", fresh);
    await bus.publish(accepted);
    await bus.publish(recognized("colin", colin)); // the enrollment photo itself: a near-duplicate
    await bus.publish(recognized("donald", ambiguous));
    await bus.publish(recognized("colin", fresh, 1)); // one vote only
    await waitFor(() => growth.stats.seen === 4, { timeoutMs: 30_000 });

    const added = (await templatesAdded(bus)).filter((e) => e.data.origin.kind === "self-learning");
    assert.equal(added.length, 1, JSON.stringify(growth.stats));
    const t = added[0] as EnvelopeOf<"FaceTemplateAdded">;
    assert.equal(t.data.personId, "colin");
    assert.equal(t.data.templateId, templateIdOf(accepted.data.detectionId));
    assert.equal(t.data.embedding.model, "dlib-resnet29");
    assert.ok(t.data.origin.kind === "self-learning");
    assert.equal(t.data.origin.cameraId, "door");
    assert.equal(t.data.origin.detectionId, accepted.data.detectionId);
    assert.ok(t.data.origin.similarity >= o.minSimilarity && t.data.origin.margin >= o.minMargin);
    assert.equal(t.causationId, accepted.id);
    assert.equal(growth.stats.rejected["near-duplicate"], 1);
    assert.equal((growth.stats.rejected["low-margin"] ?? 0) + (growth.stats.rejected["other-person"] ?? 0), 1);
    assert.equal(growth.stats.rejected["few-votes"], 1);

    // the same recognition redelivered (or published again) adds nothing new
    await bus.publish(bus.envelope("FaceRecognized", accepted.data));
    await waitFor(() => growth.stats.seen === 5, { timeoutMs: 30_000 });
    assert.equal((await templatesAdded(bus)).filter((e) => e.data.origin.kind === "self-learning").length, 1);

    // an operator rejects the recognition in a session ("not this person"): the template learned from that track is
    // reverted by them, and the track never teaches the gallery again; an undo lets it count again
    const negative = (rejected: boolean) =>
      bus.envelope("RecognitionRejected", {
        personId: "colin",
        trackId: accepted.data.trackId,
        cameraId: "door",
        sessionId: "s-algebra",
        date: "2026-12-07",
        by: "proctor",
        at: new Date().toISOString(),
        rejected,
      });
    await bus.publish(negative(true));
    await waitFor(() => !growth.gallery.has(t.data.templateId), { timeoutMs: 10_000 });
    const reverted = await streamEnvelopes(bus, "LIBRARY", "FaceTemplateReverted");
    assert.deepEqual(
      reverted.map((e) => [e.data.templateId, e.data.by]),
      [[t.data.templateId, "proctor"]],
    );
    assert.match(reverted[0]?.data.reason ?? "", /rejected as not Colin Powell/);
    assert.equal(growth.stats.reverted, 1);
    await bus.publish(bus.envelope("FaceRecognized", { ...accepted.data, detectionId: crypto.randomUUID() }));
    await waitFor(() => growth.stats.seen === 6, { timeoutMs: 30_000 });
    assert.equal(growth.stats.rejected.refuted, 1, "the refuted track does not grow the gallery");
    await bus.publish(negative(false));
    await waitFor(() => growth.refuted.size === 0, { timeoutMs: 10_000 });

    // a trainer starting later reads the negatives too (the last word per track) and reverts nothing twice
    await growth.stop();
    await bus.publish(negative(true));
    growth = new GalleryGrowth({ bus, embedder, options: o, log });
    await growth.start();
    await waitFor(() => growth.refuted.has(`colin|${accepted.data.trackId}`), { timeoutMs: 10_000 });
    assert.equal((await streamEnvelopes(bus, "LIBRARY", "FaceTemplateReverted")).length, 1);
  });
});
