import assert from "node:assert/strict";
import { test } from "node:test";
import type { KV } from "@nats-io/kv";
import { ApiError } from "./http/errors.ts";
import { ThresholdStore } from "./thresholdStore.ts";

type Entry = Awaited<ReturnType<KV["get"]>>;
const stored = (value: unknown): Entry =>
  ({ operation: "PUT", length: 1, string: () => JSON.stringify(value) }) as unknown as Entry;

/** A KV whose reads answer, fail (NATS away) or never answer, as the test says. */
function kv(read: { mode: "answer" | "fail" | "hang"; entry: Entry }): Pick<KV, "get" | "put" | "delete"> {
  return {
    get: async () => {
      if (read.mode === "fail") throw new Error("CONNECTION_CLOSED");
      if (read.mode === "hang") return new Promise<Entry>(() => {});
      return read.entry;
    },
    put: async () => 1,
    delete: async () => {},
  };
}

test("thresholds while NATS is away: the last value read, and a 503 (never a 500) when none was read yet", async () => {
  const read = {
    mode: "answer" as "answer" | "fail" | "hang",
    entry: stored({ nameThreshold: 0.5, updatedAt: "2026-12-08T00:00:00.000Z", updatedBy: "admin" }),
  };
  const store = new ThresholdStore(kv(read), 50);
  const first = await store.get("fr_feature", "flip");
  assert.equal(first?.nameThreshold, 0.5);

  read.mode = "fail";
  assert.deepEqual(await store.get("fr_feature", "flip"), first, "a failed read: the last value");
  read.mode = "hang";
  assert.deepEqual(await store.get("fr_feature", "flip"), first, "no answer in time: the last value");

  // a key never read: nothing to fall back on
  await assert.rejects(store.get("dlib-resnet29", "flip"), (err: unknown) => err instanceof ApiError && err.status === 503);

  // what this portal wrote is what it falls back on
  await store.put("fr_feature", "flip", { nameThreshold: 0.6, updatedAt: "2026-12-08T00:01:00.000Z", updatedBy: "admin" });
  assert.equal((await store.get("fr_feature", "flip"))?.nameThreshold, 0.6);
  await store.remove("fr_feature", "flip");
  assert.equal(await store.get("fr_feature", "flip"), null);

  read.mode = "answer";
  read.entry = null;
  assert.equal(await store.get("fr_feature", "flip"), null, "NATS back: read again");
});
