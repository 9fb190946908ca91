/** The on-disk record cache: round trip, separate files per key, torn records dropped. */
import assert from "node:assert/strict";
import { appendFileSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RecordCache, sha256Hex, stableJson, writeKey } from "./cache.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "persona-cache-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(sha: string, fill: number): Uint8Array {
  const r = new Uint8Array(40).fill(fill);
  writeKey(r, sha);
  return r;
}

test("records survive a reopen; later records win; a torn tail is dropped", () => {
  const k1 = sha256Hex("image 1");
  const k2 = sha256Hex("image 2");
  const c = RecordCache.open(dir, "emb", { model: "m", v: 1 }, 40);
  assert.equal(c.size, 0);
  c.append([record(k1, 1), record(k2, 2)]);
  c.append([record(k1, 3)]);
  assert.equal(c.get(k1)?.[39], 3);
  appendFileSync(c.path, new Uint8Array(17)); // a killed run
  const again = RecordCache.open(dir, "emb", { v: 1, model: "m" }, 40); // key order does not matter
  assert.equal(again.path, c.path);
  assert.equal(again.size, 2);
  assert.equal(again.get(k1)?.[39], 3);
  assert.equal(again.get(k2)?.[39], 2);
  assert.equal(statSync(c.path).size, 3 * 40);
  assert.throws(() => again.append([new Uint8Array(39)]), RangeError);
  // another key: another file
  const other = RecordCache.open(dir, "emb", { model: "m", v: 2 }, 40);
  assert.notEqual(other.path, c.path);
  assert.equal(other.size, 0);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".json")).length, 2);
});

test("stableJson sorts keys and drops undefined", () => {
  assert.equal(stableJson({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}');
});
