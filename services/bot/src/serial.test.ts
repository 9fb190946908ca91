import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { AlbumCollector, ChatQueue, Tasks } from "./serial.ts";

test("chat queue: one chat's work runs in order, other chats do not wait; a failure does not stop the queue", async () => {
  const q = new ChatQueue();
  const log: string[] = [];
  const slow = q.run(1, async () => {
    await sleep(50);
    log.push("1a");
  });
  const failing = q.run(1, async () => {
    log.push("1b");
    throw new Error("boom");
  });
  const after = q.run(1, async () => {
    log.push("1c");
  });
  const other = q.run(2, async () => {
    log.push("2a");
  });
  await Promise.all([slow, other, after, failing.catch(() => undefined)]);
  assert.deepEqual(log, ["2a", "1a", "1b", "1c"]);
});

test("album collector: photos of one album are handed over together after the wait; albums stay apart", async () => {
  const got: [string, number[]][] = [];
  const c = new AlbumCollector<number>(40, (k, items) => got.push([k, items]), 3);
  c.add("a", 1);
  c.add("b", 9);
  await sleep(20);
  c.add("a", 2);
  await sleep(25);
  assert.deepEqual(got, [["b", [9]]], "a is still open: its wait restarted");
  await sleep(40);
  assert.deepEqual(got, [
    ["b", [9]],
    ["a", [1, 2]],
  ]);
  c.add("c", 1);
  c.add("c", 2);
  c.add("c", 3);
  assert.deepEqual(got.at(-1), ["c", [1, 2, 3]], "a full album goes at once");
  c.add("d", 5);
  c.flushAll();
  assert.deepEqual(got.at(-1), ["d", [5]]);
});

test("tasks: idle waits for running work, errors go to the handler", async () => {
  const errors: unknown[] = [];
  const t = new Tasks((e) => errors.push(e));
  let done = false;
  t.spawn(async () => {
    await sleep(30);
    done = true;
  });
  t.spawn(async () => {
    throw new Error("x");
  });
  await t.idle();
  assert.equal(done, true);
  assert.equal(errors.length, 1);
  assert.equal(t.size, 0);
});
