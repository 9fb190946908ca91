import assert from "node:assert/strict";
import { test } from "node:test";
import { type Output, progress } from "./output.ts";

function sink(tty: boolean): Output & { err: string } {
  const o = {
    err: "",
    stderrIsTTY: tty,
    stdout: () => undefined,
    stderr: (t: string) => {
      o.err += t;
    },
    confirm: async () => false,
  };
  return o;
}

test("progress of a long run: about every tenth as lines when stderr is not a terminal", () => {
  const out = sink(false);
  const p = progress(out, "importing", 30);
  for (let i = 0; i < 30; i++) p.tick(`folder ${i}`);
  p.done();
  assert.deepEqual(out.err.trim().split("\n"), [
    "importing 3/30",
    ...Array.from({ length: 9 }, (_, i) => `importing ${(i + 2) * 3}/30`),
  ]);
});

test("progress on a terminal redraws one line and clears it at the end", () => {
  const out = sink(true);
  const p = progress(out, "scanning", 6);
  for (let i = 0; i < 6; i++) p.tick(`Иван ${i}`);
  p.done();
  const clear = "\r\u001b[K";
  assert.ok(out.err.endsWith(`${clear}scanning 6/6 Иван 5${clear}`), JSON.stringify(out.err));
});

test("a short run prints no progress", () => {
  const out = sink(false);
  const p = progress(out, "importing", 5);
  for (let i = 0; i < 5; i++) p.tick("x");
  p.done();
  assert.equal(out.err, "");
});
