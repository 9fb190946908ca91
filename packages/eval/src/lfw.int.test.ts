/** Real LFW images through detector -> alignment -> default embedder: separation, tuned threshold, pool, cache. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_EMBEDDER_MODEL, dot, EMBEDDER_MODELS, resolveModelPath } from "@persona/vision";
import sharp from "sharp";
import { extractEmbeddings } from "./extract.ts";
import { parseLfwPairs } from "./lfw.ts";
import { findLfwDir } from "./test-support.ts";

const lfw = findLfwDir();
const spec = EMBEDDER_MODELS[DEFAULT_EMBEDDER_MODEL];
const skip = !lfw ? "LFW not found" : !existsSync(resolveModelPath(spec.file)) ? "models not built" : false;

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "persona-lfw-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("LFW through the recognition pipeline", { skip }, () => {
  test("same-person similarity beats different-person similarity", async () => {
    const people = ["Colin_Powell", "Gloria_Macapagal_Arroyo", "Jean_Chretien", "Serena_Williams"];
    const paths = people.flatMap((p) => [1, 2].map((i) => join(lfw ?? "", p, `${p}_000${i}.jpg`)));
    const run = await extractEmbeddings(paths, { workers: 0 });
    assert.equal(run.stats.detected, 8);
    const v = paths.map((p) => run.embeddings.get(p)?.vector as Float32Array);
    let minSame = 1;
    let maxDiff = -1;
    for (let i = 0; i < v.length; i++) {
      for (let j = i + 1; j < v.length; j++) {
        const s = dot(v[i] as Float32Array, v[j] as Float32Array);
        if (Math.floor(i / 2) === Math.floor(j / 2)) minSame = Math.min(minSame, s);
        else maxDiff = Math.max(maxDiff, s);
      }
    }
    assert.ok(minSame > maxDiff, `same ${minSame.toFixed(4)} <= different ${maxDiff.toFixed(4)}`);
  });

  test("the default model with its DevTrain-tuned threshold gets a handful of pairs.txt pairs right", async () => {
    // the default mode: flip, and the ensemble where the model has one (a one-template ensemble is the plain crop)
    const threshold = spec.thresholds[spec.ensemble.length > 1 ? "ensemble+flip" : "flip"]?.verify;
    assert.ok(threshold !== undefined, "default model has a tuned threshold for the default mode");
    const all = parseLfwPairs(await readFile(join(lfw ?? "", "pairs.txt"), "utf8"), "pairs.txt", lfw ?? "");
    // the first 6 matched and 6 mismatched pairs of fold 5
    const fold = all.filter((p) => p.fold === 5);
    const pairs = [...fold.filter((p) => p.same).slice(0, 6), ...fold.filter((p) => !p.same).slice(0, 6)];
    const run = await extractEmbeddings(
      pairs.flatMap((p) => [p.img1, p.img2]),
      { workers: 2, flip: true, ensemble: true },
    );
    assert.equal(run.stats.workers, 2);
    let right = 0;
    const wrong: string[] = [];
    for (const p of pairs) {
      const s = dot(run.embeddings.get(p.img1)?.vector as Float32Array, run.embeddings.get(p.img2)?.vector as Float32Array);
      if (s >= threshold === p.same) right++;
      else wrong.push(`line ${p.line} (${s.toFixed(4)})`);
    }
    assert.ok(right >= 11, `only ${right}/12 right: ${wrong.join(", ")}`);
  });

  test("worker pool and in-process runs agree; the cache returns the same vectors", async () => {
    const paths = ["Tony_Blair_0001", "Tony_Blair_0002", "Hugo_Chavez_0001"].map((n) =>
      join(lfw ?? "", n.replace(/_\d+$/, ""), `${n}.jpg`),
    );
    const cacheDir = join(tmp, "cache");
    const inProc = await extractEmbeddings(paths, { workers: 0, flip: true, cacheDir });
    assert.equal(inProc.stats.computed, 3);
    const pooled = await extractEmbeddings(paths, { workers: 1, flip: true });
    const cached = await extractEmbeddings(paths, { workers: 0, flip: true, cacheDir });
    assert.equal(cached.stats.fromCache, 3);
    assert.equal(cached.stats.computed, 0);
    // a flip run also stored the plain vectors: a flip-off run is served from the cache too
    const plain = await extractEmbeddings(paths, { workers: 0, flip: false, cacheDir });
    assert.equal(plain.stats.fromCache, 3);
    for (const p of paths) {
      const a = inProc.embeddings.get(p)?.vector as Float32Array;
      assert.ok(dot(a, pooled.embeddings.get(p)?.vector as Float32Array) > 0.99999);
      assert.deepEqual(cached.embeddings.get(p)?.vector, a);
      // detections are stored as float32
      assert.ok(
        Math.abs(
          (cached.embeddings.get(p)?.face?.keypoints.leftEye.x ?? 0) - (inProc.embeddings.get(p)?.face?.keypoints.leftEye.x ?? 1),
        ) < 1e-3,
      );
      assert.ok(dot(a, plain.embeddings.get(p)?.vector as Float32Array) < 0.99999);
    }
  });

  test("no face: the centre fallback embeds, skip does not, an undecodable file fails alone", async () => {
    const blank = join(tmp, "blank.jpg");
    await writeFile(
      blank,
      await sharp({ create: { width: 250, height: 250, channels: 3, background: { r: 128, g: 128, b: 128 } } })
        .jpeg()
        .toBuffer(),
    );
    const broken = join(tmp, "broken.jpg");
    await writeFile(broken, "not a jpeg");
    const centre = await extractEmbeddings([blank, broken], { workers: 0, noFace: "centre" });
    assert.equal(centre.embeddings.get(blank)?.status, "fallback");
    assert.equal(centre.embeddings.get(blank)?.faces, 0);
    assert.ok(centre.embeddings.get(blank)?.vector);
    assert.equal(centre.embeddings.get(broken)?.status, "failed");
    assert.match(centre.embeddings.get(broken)?.error ?? "", /not an image/);
    const skipped = await extractEmbeddings([blank], { workers: 0, noFace: "skip" });
    assert.equal(skipped.embeddings.get(blank)?.status, "no_face");
    assert.equal(skipped.embeddings.get(blank)?.vector, null);
  });
});
