import assert from "node:assert/strict";
import { test } from "node:test";
import { SeqWaiters } from "./seqWaiters.ts";

test("seq waiters: resolve once the sequence is applied, at once when it already is, and time out with the follower named", async () => {
  const w = new SeqWaiters("library");
  let applied = 3;
  await w.wait(3, () => applied, 50);
  let done = false;
  const p = w
    .wait(5, () => applied, 1000)
    .then(() => {
      done = true;
    });
  applied = 4;
  w.notify(applied);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(done, false, "4 is not 5");
  applied = 6;
  w.notify(applied);
  await p;
  assert.equal(done, true);
  await assert.rejects(
    w.wait(9, () => applied, 20),
    /library did not reach seq 9 within 20 ms/,
  );
});
