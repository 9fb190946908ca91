/** Pairs files on disk: missing images and unreadable files give clear errors; evalPairs end to end. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEFAULT_EMBEDDER_MODEL, EMBEDDER_MODELS, resolveModelPath } from "@persona/vision";
import { PairsFileError } from "./errors.ts";
import { evalPairs } from "./evaluate.ts";
import { readPairsFile } from "./pairs-file.ts";
import { findLfwDir } from "./test-support.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "persona-pairs-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("missing image files: one error naming them with their lines and the count", async () => {
  await mkdir(join(dir, "a"));
  await writeFile(join(dir, "a", "1.jpg"), "x");
  const file = join(dir, "pairs.tsv");
  await writeFile(file, "img1\timg2\tsame\na/1.jpg\ta/2.jpg\t1\na/1.jpg\tb/1.jpg\t0\na/2.jpg\tb/1.jpg\t0\n");
  await assert.rejects(readPairsFile(file), (e: unknown) => {
    assert.ok(e instanceof PairsFileError);
    assert.equal(e.code, "missing_files");
    assert.deepEqual([...e.missing].sort(), [join(dir, "a", "2.jpg"), join(dir, "b", "1.jpg")]);
    assert.match(e.message, /2 image files not found: .*a\/2\.jpg \(line 2\), .*b\/1\.jpg \(line 3\)/);
    return true;
  });
  // no check requested: parses
  assert.equal((await readPairsFile(file, { checkFiles: false })).pairs.length, 3);
});

test("unreadable pairs file is an io error with the cause", async () => {
  await assert.rejects(
    readPairsFile(join(dir, "nope.tsv")),
    (e: unknown) => e instanceof PairsFileError && e.code === "io" && e.cause !== undefined,
  );
});

const lfw = findLfwDir();
const model = resolveModelPath(EMBEDDER_MODELS["dlib-resnet29"].file);
test("evalPairs on a small copied LFW set (default model, in-process)", {
  skip: !lfw || !existsSync(model) ? "LFW or models missing" : false,
}, async () => {
  const names = ["Colin_Powell_0001", "Colin_Powell_0002", "Tony_Blair_0001", "Tony_Blair_0002"];
  for (const n of names) await copyFile(join(lfw ?? "", n.replace(/_\d+$/, ""), `${n}.jpg`), join(dir, `${n}.jpg`));
  const file = join(dir, "lfw-pairs.tsv");
  await writeFile(
    file,
    "img1\timg2\tsame\nColin_Powell_0001.jpg\tColin_Powell_0002.jpg\t1\nTony_Blair_0001.jpg\tTony_Blair_0002.jpg\t1\nColin_Powell_0001.jpg\tTony_Blair_0001.jpg\t0\nColin_Powell_0002.jpg\tTony_Blair_0002.jpg\t0\n",
  );
  const r = await evalPairs(file, { workers: 0, folds: 2 });
  assert.equal(r.pairs, 4);
  assert.equal(r.images, 4);
  assert.equal(r.noFace.count, 0);
  assert.equal(r.auc, 1);
  assert.ok(r.scores.genuineMean > r.scores.impostorMean);
  assert.equal(r.run.model, DEFAULT_EMBEDDER_MODEL);
});
