/** Embedder on the real models (models/dist) and LFW photos. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { findDatasetsDir } from "@persona/runtime";
import { alignFace } from "./alignment.ts";
import { FaceDetector } from "./detector.ts";
import { DEFAULT_EMBEDDER_MODEL, dot, EMBEDDER_MODELS, Embedder, EmbedderError, embedderSpec, flipChip } from "./embedder.ts";
import { decodeImage } from "./image.ts";
import { resolveModelPath } from "./models.ts";
import { blazefacePath } from "./test-support/datasets.ts";
import type { Detection, RgbImage } from "./types.ts";

const root = findDatasetsDir();
const detectorPath = blazefacePath();
const missing = Object.values(EMBEDDER_MODELS).filter((s) => !existsSync(resolveModelPath(s.file)));
const skip =
  detectorPath === null || missing.length
    ? "models not built (node --import tsx models/build.ts) or PERSONA_MODELS_DIR unset"
    : root === null
      ? "shared datasets not found"
      : false;

// 2 people x 2 photos + 1 other person
const FILES = [
  "Colin_Powell/Colin_Powell_0001.jpg",
  "Colin_Powell/Colin_Powell_0002.jpg",
  "Serena_Williams/Serena_Williams_0001.jpg",
  "Serena_Williams/Serena_Williams_0002.jpg",
  "Tony_Blair/Tony_Blair_0001.jpg",
];
const faces: { image: RgbImage; det: Detection }[] = [];

before(async () => {
  if (skip) return;
  const detector = await FaceDetector.create({ modelPath: detectorPath ?? undefined });
  for (const f of FILES) {
    const image = await decodeImage(`${root}/lfw/${f}`);
    const [det] = await detector.detect(image);
    assert.ok(det, `no face in ${f}`);
    faces.push({ image, det });
  }
  await detector.dispose();
});

describe("Embedder (all built-in models)", { skip }, () => {
  const embedders = new Map<string, Embedder>();
  after(async () => {
    for (const e of embedders.values()) await e.dispose();
  });

  for (const spec of Object.values(EMBEDDER_MODELS)) {
    test(`${spec.name}: unit-length ${spec.dims}-d outputs; batch of 5 equals single runs; same person closer`, async () => {
      const e = await Embedder.create({ model: spec.name as keyof typeof EMBEDDER_MODELS, maxBatch: 8 });
      embedders.set(spec.name, e);
      const chips = faces.map((f) => alignFace(f.image, f.det.keypoints, e.template).chip);
      const batch = await e.embed(chips, { flip: false });
      assert.equal(batch.length, 5);
      for (const [i, v] of batch.entries()) {
        assert.equal(v.length, spec.dims);
        assert.ok(Math.abs(dot(v, v) - 1) < 1e-5);
        const single = await e.embedOne(chips[i] as RgbImage, { flip: false });
        assert.ok(dot(single, v) > 0.99999, `${spec.name} chip ${i}: batch vs single cosine ${dot(single, v)}`);
      }
      const [a1, a2, b1, b2, c] = batch as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      const same = Math.min(dot(a1, a2), dot(b1, b2));
      const diff = Math.max(dot(a1, b1), dot(a1, b2), dot(a2, b1), dot(a2, b2), dot(a1, c), dot(b1, c));
      if (spec.name !== "mobileface")
        assert.ok(same > diff, `${spec.name}: same ${same.toFixed(3)} <= different ${diff.toFixed(3)}`);
      else assert.ok((dot(a1, a2) + dot(b1, b2)) / 2 > diff - 0.05, `${spec.name}: weak separation ${same} vs ${diff}`);
    });
  }

  test("flip TTA: mirror-invariant, close to the plain embedding, batch split respected", async () => {
    const e = await Embedder.create({ model: DEFAULT_EMBEDDER_MODEL, maxBatch: 2 });
    embedders.set("flip", e);
    const chips = faces.map((f) => alignFace(f.image, f.det.keypoints, e.template).chip);
    const plain = await e.embed(chips, { flip: false });
    const flipped = await e.embed(chips, { flip: true });
    const ofMirror = await e.embed(chips.map(flipChip), { flip: true });
    for (let i = 0; i < chips.length; i++) {
      const p = plain[i] as Float32Array;
      const f = flipped[i] as Float32Array;
      assert.ok(Math.abs(dot(f, f) - 1) < 1e-5);
      assert.ok(dot(f, ofMirror[i] as Float32Array) > 0.99999, "flip(chip) and flip(mirror(chip)) must agree");
      assert.ok(dot(p, f) > 0.9 && dot(p, f) < 0.99999, `plain vs flip ${dot(p, f)}`);
    }
  });

  test("embedFaces: one crop equals embed on the chip; ensemble + flip is a unit vector close to it", async () => {
    const e = embedders.get(DEFAULT_EMBEDDER_MODEL) ?? (await Embedder.create());
    const input = faces.map((f) => ({ image: f.image, keypoints: f.det.keypoints }));
    const one = await e.embedFaces(input, { flip: false, ensemble: false });
    const chips = await e.embed(
      faces.map((f) => alignFace(f.image, f.det.keypoints, e.template).chip),
      { flip: false },
    );
    const full = await e.embedFaces(input);
    assert.equal(e.flip && e.ensemble, true, "defaults: flip and ensemble on");
    for (let i = 0; i < faces.length; i++) {
      assert.ok(dot(one[i] as Float32Array, chips[i] as Float32Array) > 0.99999);
      const f = full[i] as Float32Array;
      assert.ok(Math.abs(dot(f, f) - 1) < 1e-5);
      assert.ok(dot(f, one[i] as Float32Array) > 0.95);
    }
  });

  test("errors: wrong chip size, unknown model, spec that does not match the file", async () => {
    const e = embedders.get(DEFAULT_EMBEDDER_MODEL) ?? (await Embedder.create());
    await assert.rejects(e.embed([{ data: new Uint8Array(10 * 10 * 3), width: 10, height: 10 }]), (err: unknown) => {
      assert.ok(err instanceof EmbedderError);
      assert.equal(err.code, "bad_chip");
      const side = embedderSpec(DEFAULT_EMBEDDER_MODEL).inputSize;
      assert.match(err.message, new RegExp(`chip 0 is 10x10, .* needs ${side}x${side}`));
      return true;
    });
    assert.throws(
      () => embedderSpec("arcface"),
      (err: unknown) => err instanceof EmbedderError && err.code === "unknown_model",
    );
    const wrong = { ...EMBEDDER_MODELS["dlib-resnet29"], name: "dlib-as-256", dims: 256 };
    await assert.rejects(
      Embedder.create({ model: wrong }),
      (err: unknown) => err instanceof EmbedderError && err.code === "model_mismatch",
    );
    const wrongOut = { ...EMBEDDER_MODELS["dlib-resnet29"], outputName: "nope" };
    await assert.rejects(
      Embedder.create({ model: wrongOut }),
      (err: unknown) => err instanceof EmbedderError && err.code === "model_mismatch",
    );
    assert.deepEqual(await e.embed([]), []);
  });
});
