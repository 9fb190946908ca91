import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BufferPool, FrameAssembler } from "./frameAssembler.ts";

/** A stream of `frames` frames of `bytes` bytes, byte value = frame index. */
function stream(frames: number, bytes: number): Uint8Array {
  const s = new Uint8Array(frames * bytes);
  for (let f = 0; f < frames; f++) s.fill(f, f * bytes, (f + 1) * bytes);
  return s;
}

function chunks(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  let i = 0;
  while (off < data.length) {
    const n = sizes[i++ % sizes.length] as number;
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe("FrameAssembler", () => {
  test("cuts frames out of chunks of any size, each byte copied into the frame's buffer", () => {
    const bytes = 12;
    for (const sizes of [[1], [5], [12], [7, 30, 2], [100]]) {
      const got: { index: number; data: number[] }[] = [];
      const a = new FrameAssembler(bytes, {
        begin: () => new Uint8Array(bytes),
        complete: (b, index) => got.push({ index, data: [...new Set(b)] }),
      });
      for (const c of chunks(stream(6, bytes), sizes)) a.push(c);
      assert.deepEqual(
        got,
        [0, 1, 2, 3, 4, 5].map((i) => ({ index: i, data: [i] })),
        `chunk sizes ${sizes}`,
      );
      assert.equal(a.partialBytes, 0);
    }
  });

  test("skipped frames cost no copy and keep the count", () => {
    const got: number[] = [];
    let begun = 0;
    const a = new FrameAssembler(4, {
      begin: (i) => {
        begun++;
        return i % 3 === 0 ? new Uint8Array(4) : null;
      },
      complete: (b, i) => got.push(i * 100 + (b[0] as number)),
    });
    for (const c of chunks(stream(7, 4), [3])) a.push(c);
    assert.deepEqual(got, [0, 303, 606]);
    assert.equal(begun, 7);
    assert.equal(a.framesStarted, 7);
  });

  test("a truncated last frame stays partial", () => {
    let n = 0;
    const a = new FrameAssembler(10, { begin: () => new Uint8Array(10), complete: () => n++ });
    a.push(new Uint8Array(25));
    assert.equal(n, 2);
    assert.equal(a.partialBytes, 5);
    assert.equal(a.framesStarted, 3);
  });

  test("a buffer smaller than a frame is a bug, reported", () => {
    const a = new FrameAssembler(10, { begin: () => new Uint8Array(5), complete: () => undefined });
    assert.throws(() => a.push(new Uint8Array(10)), RangeError);
  });
});

describe("BufferPool", () => {
  test("reuses given-back buffers, in shared memory when asked", () => {
    const pool = new BufferPool(16, true, 2);
    const a = pool.acquire();
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    pool.release(a);
    assert.equal(pool.acquire(), a);
    assert.equal(pool.allocated, 1);
    assert.ok(!(new BufferPool(8, false).acquire().buffer instanceof SharedArrayBuffer));
  });
});
