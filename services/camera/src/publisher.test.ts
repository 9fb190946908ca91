import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OrderedPublisher } from "./publisher.ts";

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("OrderedPublisher", () => {
  test("publishes one at a time, in order, and counts what is pending", async () => {
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const p = new OrderedPublisher<number>(
      (n) => {
        started.push(n);
        return (gates[n] as ReturnType<typeof deferred>).promise;
      },
      () => assert.fail("no error expected"),
    );
    p.enqueue(0);
    p.enqueue(1);
    p.enqueue(2);
    await Promise.resolve();
    assert.deepEqual(started, [0]);
    assert.equal(p.pending, 3);
    gates[0]?.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    gates[1]?.resolve();
    gates[2]?.resolve();
    await p.drain();
    assert.deepEqual(started, [0, 1, 2]);
    assert.equal(p.pending, 0);
  });

  test("waitBelow resolves once the queue has room; failures are reported and the queue goes on", async () => {
    const errors: number[] = [];
    const gate = deferred();
    const p = new OrderedPublisher<number>(
      async (n) => {
        if (n === 0) await gate.promise;
        if (n === 1) throw new Error("nats away");
      },
      (n) => errors.push(n ?? -1),
    );
    for (let i = 0; i < 4; i++) p.enqueue(i);
    let roomy = false;
    const wait = p.waitBelow(2).then(() => {
      roomy = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(roomy, false);
    gate.resolve();
    await wait;
    assert.ok(p.pending < 2);
    await p.drain();
    assert.deepEqual(errors, [1]);
    await p.waitBelow(1);
  });

  test("a lazy event is made when its turn comes, after the ones before it settled; null publishes nothing", async () => {
    const published: number[] = [];
    const confirmed: number[] = [];
    const p = new OrderedPublisher<number>(
      async (n) => {
        if (n === 2) throw new Error("lost");
        published.push(n);
      },
      () => undefined,
    );
    for (const n of [1, 2, 3]) p.enqueue(n, () => confirmed.push(n));
    // counts what was confirmed before it: 1 and 3, not the lost 2
    p.enqueue(() => 100 + confirmed.length);
    p.enqueue(() => null);
    await p.drain();
    assert.deepEqual(published, [1, 3, 102]);
    assert.equal(p.pending, 0);
  });
});
