import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { AnyEnvelopeSchema } from "@persona/contracts";
import { encodeEmbedding } from "@persona/library";
import { createLogger } from "@persona/runtime";
import { type NatsServerHandle, startNatsServer, waitFor } from "@persona/testing";
import { type RgbImage, encodeJpeg, fastClassifierInput } from "@persona/vision";
import * as ort from "onnxruntime-node";
import { lfwChips, lfwMissing } from "../test-support/lfwChips.ts";
import { ACCEPT_DEFAULTS } from "./classifier/evaluate.ts";
import { MODELS_BUCKET } from "./classifier/publish.ts";
import { FastClassifierTrainer, type TrainerSettings } from "./trainerService.ts";

const log = createLogger("trainer-test", process.env.LOG_LEVEL ?? "silent");
const quality = { score: 0.8, faceSize: 100, eyeDistance: 40, sharpness: 100, yaw: 0, pitch: 0, roll: 0 };

const settings = (dataDir: string, holder: string, over: Partial<TrainerSettings> = {}): TrainerSettings => ({
  dataDir,
  scheduleMinutes: 600,
  debounceSeconds: 3600,
  leaseTtlSeconds: 1,
  epochs: 8,
  nice: 10,
  minPerPerson: 5,
  minProbability: 0.9,
  embeddingModel: "dlib-resnet29",
  limits: { maxPerPerson: 100, maxUnknown: 100 },
  // model quality is measured by classifier/training.int.test.ts and the bench; these tiny runs test the plumbing
  accept: { ...ACCEPT_DEFAULTS, minAccuracy: 0, minUnknownRejection: 0 },
  holder,
  ...over,
});

describe("trainer lease: one active trainer, a second one waits and takes over", () => {
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  const dirs: string[] = [];
  const trainers: FastClassifierTrainer[] = [];
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    for (const t of trainers) await t.stop().catch(() => {});
    for (const b of buses) await b.close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await server?.dispose();
  });

  const trainer = async (holder: string) => {
    const bus = await testBus(server.url, "trainer");
    buses.push(bus);
    const dir = mkdtempSync(join(tmpdir(), "trainer-lease-"));
    dirs.push(dir);
    const t = new FastClassifierTrainer(bus, settings(dir, holder), log);
    trainers.push(t);
    await t.start();
    return { t, bus };
  };

  test("stop hands over at once; a crashed holder is replaced after the lease expires", async () => {
    const a = await trainer("A");
    await waitFor(() => a.t.status.leader, { message: "A leads" });
    const b = await trainer("B");
    await new Promise((r) => setTimeout(r, 1500)); // longer than the TTL: A keeps renewing, B keeps waiting
    assert.equal(a.t.status.leader, true);
    assert.equal(b.t.status.leader, false);
    assert.match(b.t.statusNow().lease, /held by A/);

    // graceful stop releases the lease: B takes over within one check interval
    const t0 = Date.now();
    await a.t.stop();
    await waitFor(() => b.t.status.leader, { timeoutMs: 5000, message: "B takes over" });
    assert.ok(Date.now() - t0 < 2000, `handover took ${Date.now() - t0} ms`);

    // a third instance waits; B "crashes" (its NATS connection goes away without releasing)
    const c = await trainer("C");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(c.t.status.leader, false);
    const t1 = Date.now();
    await b.bus.close();
    await waitFor(() => c.t.status.leader, { timeoutMs: 8000, message: "C takes over after expiry" });
    const took = Date.now() - t1;
    assert.ok(took >= 300, `took over only after the lease expired (${took} ms)`);
    assert.match(c.t.statusNow().lease, /taken over from B/);
    await c.t.stop();
  });
});

describe("trainer run on real LFW crops from the streams", { skip: lfwMissing() }, () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let dir: string;
  let trainer: FastClassifierTrainer;
  const s = () => settings(dir, "solo");
  let live: TrainerSettings;

  before(async () => {
    server = await startNatsServer();
    bus = await testBus(server.url, "trainer");
    dir = mkdtempSync(join(tmpdir(), "trainer-run-"));
    live = s();
    trainer = new FastClassifierTrainer(bus, live, log);
  });
  after(async () => {
    await trainer?.stop();
    await bus?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("confirmed sightings and unknown tracks become a published, onnxruntime-checked model; never worse", async () => {
    const people = ["Colin_Powell", "Tony_Blair", "Donald_Rumsfeld"];
    const known = await lfwChips(people, 16);
    const strangers = await lfwChips(["Jean_Chretien", "John_Ashcroft", "Serena_Williams"], 5);
    const inline = async (chip: (typeof known)[number]["chip"]) => ({
      kind: "inline" as const,
      contentType: "image/jpeg" as const,
      base64: (await encodeJpeg(chip, 92)).toString("base64"),
    });
    const now = new Date().toISOString();
    for (const [i, k] of known.entries()) {
      await bus.publish(
        bus.envelope("FaceRecognized", {
          cameraId: "gate",
          trackId: `t-${k.person}`,
          detectionId: crypto.randomUUID(),
          personId: k.person.toLowerCase(),
          personName: k.person.replace(/_/g, " "),
          similarity: 0.95,
          margin: 0.1,
          decision: i % 8 === 0 ? "probable" : "confirmed",
          votes: { agreeing: 3, total: 3 },
          quality,
          frameAt: now,
          crop: await inline(k.chip),
          via: "embedding",
        }),
      );
    }
    // strangers: unknown shots whose track concluded unknown, and one track later recognised (must not be used)
    for (const [i, u] of strangers.entries()) {
      const trackId = i === 0 ? "t-later-known" : `t-u${i % 3}`;
      await bus.publish(
        bus.envelope("UnknownFaceSeen", {
          cameraId: "gate",
          trackId,
          detectionId: crypto.randomUUID(),
          bestSimilarity: 0.3,
          bestPersonId: null,
          quality,
          frameAt: now,
          crop: await inline(u.chip),
          embedding: { model: "dlib-resnet29", dims: 4, base64: encodeEmbedding(new Float32Array(4)) },
        }),
      );
    }
    const concluded = (trackId: string, outcome: "unknown" | "recognized") =>
      bus.envelope("TrackConcluded", {
        cameraId: "gate",
        trackId,
        startedAt: now,
        endedAt: now,
        frames: 10,
        shots: 5,
        bestQuality: 0.8,
        outcome:
          outcome === "unknown"
            ? { kind: "unknown", bestSimilarity: 0.3 }
            : { kind: "recognized", personId: "x", personName: "X", similarity: 0.9 },
      });
    for (const t of ["t-u0", "t-u1", "t-u2"]) await bus.publish(concluded(t, "unknown"));
    await bus.publish(concluded("t-later-known", "recognized"));

    await trainer.start();
    const confirmed = known.filter((_, i) => i % 8 !== 0).length;
    await waitFor(() => trainer.statusNow().bank.crops === confirmed + strangers.length - 1, {
      timeoutMs: 30_000,
      message: "the bank holds the confirmed crops and the unknown tracks' crops",
    });
    assert.equal(trainer.statusNow().bank.unknown, strangers.length - 1);
    assert.equal(trainer.statusNow().bank.people, people.length);

    const first = await trainer.trainIfUseful("test");
    assert.ok(first?.published, `first model published: ${first?.reason}`);
    const info = await bus.jsm.streams.getMessage("MODELS", { last_by_subj: "models.classifier.published" });
    assert.ok(info);
    const env = AnyEnvelopeSchema.parse(info.json());
    assert.ok(env.type === "ClassifierPublished");
    assert.equal(env.data.modelId, first?.modelId);
    assert.deepEqual(
      env.data.classes.map((c) => c.personId),
      [null, "colin_powell", "donald_rumsfeld", "tony_blair"],
    );
    assert.ok(env.data.metrics.maxAbsDiffOnnx < 1e-4);
    const blob = await (await bus.objectStore(MODELS_BUCKET)).getBlob(env.data.model.key);
    assert.ok(blob && blob.length === env.data.model.size);
    const session = await ort.InferenceSession.create(blob);
    assert.equal(env.data.inputSize, 32);
    const out = await session.run({
      net: new ort.Tensor("float32", fastClassifierInput(known[1]?.chip as RgbImage), [1, 1, 32, 32]),
    });
    assert.equal((out.probs as ort.Tensor).dims[1], 4);
    await session.release();

    // nothing new: no run
    const again = await trainer.trainIfUseful("test");
    assert.equal(again?.modelId, first?.modelId);
    // the next run is scored against the current model on the same validation crops; with a bar no model can pass
    // (it must beat the current one by more than 100 points) it is refused and the current model stays
    live.epochs = 2;
    live.accept = { ...live.accept, tolerance: -1.01 };
    const weak = await trainer.trainIfUseful("weaker", true);
    assert.equal(weak?.published, false, `the new model is not published (${weak?.reason})`);
    assert.match(weak?.reason ?? "", /worse than the current model/);
    assert.ok(weak?.current, "the current model was scored on the same validation crops");
    assert.equal(trainer.status.currentModelId, first?.modelId);
  });
});
