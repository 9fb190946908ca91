import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { streamEnvelopes, testBus } from "@persona/bus/testing";
import type { AnyEnvelope } from "@persona/contracts";
import { encodeEmbedding } from "@persona/library";
import { createLogger } from "@persona/runtime";
import { type NatsServerHandle, startNatsServer, waitFor, lfwSkipReason, lfwPhoto } from "@persona/testing";
import { Embedder, FaceDetector, decodeImage, detectAndAlign, embedderSpec, encodeJpeg, resolveModelPath } from "@persona/vision";
import { CLUSTER_DEFAULTS } from "@persona/recognition";
import { VisitorService } from "./service.ts";

const missing = lfwSkipReason(resolveModelPath("dlib-resnet29.onnx"));
const photo = lfwPhoto;
const quality = (score: number) => ({ score, faceSize: 110, eyeDistance: 42, sharpness: 120, yaw: 0, pitch: 0, roll: 0 });

interface Shot {
  person: string;
  jpeg: Buffer;
  vector: Float32Array;
}

describe("unknown visitors against a real nats-server and real LFW faces", { skip: missing }, () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let detector: FaceDetector;
  let embedder: Embedder;
  let dataDir: string;
  const log = createLogger("visitors-test", "silent");
  const options = { cluster: CLUSTER_DEFAULTS, minVisits: 2, bestCrops: 3 };

  const shot = async (person: string, n: number): Promise<Shot | null> => {
    const [face] = await detectAndAlign(await decodeImage(photo(person, n)), { detector, template: embedder.template });
    if (!face) return null;
    const jpeg = await encodeJpeg(face.chip, 90);
    return { person, jpeg, vector: (await embedder.embed([await decodeImage(jpeg)]))[0] as Float32Array };
  };

  /** Four photos of a person that lie close together (a face with three neighbours within the clustering distance). */
  const group = async (person: string): Promise<Shot[]> => {
    const shots = (await Promise.all(Array.from({ length: 24 }, (_, i) => shot(person, i + 1)))).filter((s) => s !== null);
    const near = (a: Shot, b: Shot) => {
      let s = 0;
      for (let i = 0; i < a.vector.length; i++) s += (a.vector[i] as number) * (b.vector[i] as number);
      return s >= 1 - CLUSTER_DEFAULTS.maxDistance;
    };
    for (const c of shots) {
      const ns = shots.filter((o) => o !== c && near(c, o));
      if (ns.length >= 3) return [c, ...ns.slice(0, 3)];
    }
    assert.fail(`no four close photos of ${person} among the first 24`);
  };

  const unknown = (s: Shot, track: string, q: number) =>
    bus.envelope("UnknownFaceSeen", {
      cameraId: "gate",
      trackId: track,
      detectionId: crypto.randomUUID(),
      bestSimilarity: 0.5,
      bestPersonId: null,
      quality: quality(q),
      frameAt: new Date().toISOString(),
      crop: { kind: "inline", contentType: "image/jpeg", base64: s.jpeg.toString("base64") },
      embedding: { model: "dlib-resnet29", dims: 128, base64: encodeEmbedding(s.vector) },
    });

  before(async () => {
    server = await startNatsServer();
    bus = await testBus(server.url, "trainer");
    detector = await FaceDetector.create();
    embedder = await Embedder.create({ model: embedderSpec("dlib-resnet29"), flip: false });
    dataDir = mkdtempSync(join(tmpdir(), "visitors-"));
  });
  after(async () => {
    await bus?.close();
    await detector?.dispose();
    await embedder?.dispose();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("two recurring strangers become two pure visitors; naming one enrolls its faces, a restart republishes nothing", async () => {
    const tony = await group("Tony_Blair");
    const colin = await group("Colin_Powell");
    const service = new VisitorService({ bus, model: "dlib-resnet29", dims: 128, options, dataDir, log });
    await service.start();
    const seen = new Map<string, string>();
    for (let i = 0; i < 4; i++) {
      for (const s of [tony[i] as Shot, colin[i] as Shot]) {
        const env = unknown(s, `${s.person}-${i}`, 0.5 + i / 10);
        seen.set(env.data.detectionId, s.person);
        await bus.publish(env);
      }
    }
    const info = await bus.jsm.streams.info("SIGHTINGS");
    await service.waitForSeq(info.state.last_seq, 20_000);
    const visitors = () =>
      streamEnvelopes(bus, "SIGHTINGS").then((es) =>
        es.filter((e) => e.type === "VisitorClustered" || e.type === "VisitorUpdated"),
      );
    await waitFor(async () => (await visitors()).length >= 2, { timeoutMs: 10_000 });
    const latest = new Map<string, Extract<AnyEnvelope, { type: "VisitorClustered" | "VisitorUpdated" }>>();
    for (const e of await visitors())
      if (e.type === "VisitorClustered" || e.type === "VisitorUpdated") latest.set(e.data.visitorId, e);
    assert.equal(latest.size, 2, "one visitor per stranger");
    for (const v of latest.values()) {
      const people = new Set(v.data.bestCrops.map((c) => seen.get(c.detectionId)));
      assert.equal(people.size, 1, "a visitor's faces are one person");
      assert.equal(v.data.faces, 4);
      assert.equal(v.data.visits, 4);
      assert.deepEqual(v.data.cameras, ["gate"]);
      assert.equal(v.data.bestCrops.length, 3);
      assert.ok(v.data.bestCrops[0] && v.data.bestCrops[0].quality >= (v.data.bestCrops[2]?.quality ?? 1), "best first");
    }
    const tonyVisitor = [...latest.values()].find((v) => seen.get(v.data.bestCrops[0]?.detectionId ?? "") === "Tony_Blair");
    const colinVisitor = [...latest.values()].find((v) => v !== tonyVisitor);
    assert.ok(tonyVisitor && colinVisitor);

    // an operator names Tony's visitor as a new person, and ignores Colin's
    const personId = crypto.randomUUID();
    await bus.publish(
      bus.envelope("VisitorNamed", {
        visitorId: tonyVisitor.data.visitorId,
        personId,
        existing: false,
        name: "Tony",
        description: "Visiting lecturer",
        by: "op",
      }),
    );
    await bus.publish(bus.envelope("VisitorIgnored", { visitorId: colinVisitor.data.visitorId, by: "op", reason: "courier" }));
    const library = async () => streamEnvelopes(bus, "LIBRARY");
    await waitFor(async () => (await library()).filter((e) => e.type === "FaceTemplateAdded").length === 3, {
      timeoutMs: 10_000,
    });
    const lib = await library();
    const enrolled = lib.find((e) => e.type === "PersonEnrolled");
    assert.ok(enrolled?.type === "PersonEnrolled");
    assert.equal(enrolled.data.personId, personId);
    assert.equal(enrolled.data.source, "visitor");
    assert.equal(enrolled.data.description, "Visiting lecturer", "the operator's description from VisitorNamed");
    assert.equal(enrolled.data.photos.length, 3);
    const photos = await bus.objectStore("photos");
    assert.ok(await photos.getBlob(enrolled.data.photos[0]?.key as string), "the crops are in the photos bucket");
    for (const t of lib.filter((e) => e.type === "FaceTemplateAdded")) {
      assert.ok(t.type === "FaceTemplateAdded" && t.data.personId === personId && t.data.origin.kind === "operator");
      assert.equal(seen.get((t.data.origin as { sightingId: string }).sightingId), "Tony_Blair");
    }
    assert.equal(service.book.status.get(colinVisitor.data.visitorId), "ignored");

    // restart from the snapshot: nothing is republished
    const before = (await visitors()).length;
    await service.stop();
    const again = new VisitorService({ bus, model: "dlib-resnet29", dims: 128, options, dataDir, log });
    await again.start();
    assert.equal(again.book.visitors().length, 2);
    assert.equal(again.book.status.get(colinVisitor.data.visitorId), "ignored");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await visitors()).length, before);
    await again.stop();

    // retention, 31 days on: the named visitor (its faces are templates now) is forgotten with its embeddings, on
    // disk too; the ignored one stays recognisable; nothing is published about it
    const later = new VisitorService({
      bus,
      model: "dlib-resnet29",
      dims: 128,
      options: { ...options, retentionMs: 30 * 24 * 3600_000 },
      dataDir,
      log,
      now: () => Date.now() + 31 * 24 * 3600_000,
    });
    await later.start();
    assert.deepEqual(
      later.book.visitors().map((v) => v.visitorId),
      [colinVisitor.data.visitorId],
    );
    assert.equal(later.stats.expiredVisitors, 1);
    assert.equal(later.stats.expiredFaces, 4);
    await later.stop();
    const snap = JSON.parse(readFileSync(join(dataDir, "visitors.json"), "utf8")) as { faces: { detectionId: string }[] };
    assert.equal(snap.faces.length, 4);
    assert.ok(
      snap.faces.every((f) => seen.get(f.detectionId) === "Colin_Powell"),
      "only the ignored visitor's faces stay",
    );
    assert.equal((await visitors()).length, before, "forgetting publishes nothing");
  });
});
