import assert from "node:assert/strict";
import { test } from "node:test";
import { PairsFileError } from "./errors.ts";
import { parsePairsTsv } from "./pairs-file.ts";

const F = "/data/set/pairs.tsv";

function err(text: string): PairsFileError {
  try {
    parsePairsTsv(text, F);
  } catch (e) {
    assert.ok(e instanceof PairsFileError, String(e));
    return e;
  }
  assert.fail("expected a PairsFileError");
}

test("parses columns in any order, resolves paths relative to the file, skips comments", () => {
  const p = parsePairsTsv("# a comment\nsame\timg2\timg1\tfold\r\n1\ta/2.jpg\ta/1.jpg\t3\n\n0\t/abs/b.jpg\ta/1.jpg\t0\n", F);
  assert.equal(p.hasFolds, true);
  assert.deepEqual(p.pairs, [
    { img1: "/data/set/a/1.jpg", img2: "/data/set/a/2.jpg", same: true, fold: 3, line: 3 },
    { img1: "/data/set/a/1.jpg", img2: "/abs/b.jpg", same: false, fold: 0, line: 5 },
  ]);
  const nf = parsePairsTsv("img1\timg2\tsame\nx.jpg\ty.jpg\t0\n", F);
  assert.equal(nf.hasFolds, false);
  assert.equal(nf.pairs[0]?.fold, null);
});

test("bad columns: unknown, missing, repeated", () => {
  const u = err("img1\timg2\tsmae\nx\ty\t1\n");
  assert.equal(u.code, "bad_columns");
  assert.equal(u.line, 1);
  assert.match(u.message, /pairs\.tsv:1: unknown column "smae"/);
  const m = err("img1\timg2\nx\ty\n");
  assert.equal(m.code, "bad_columns");
  assert.match(m.message, /missing column same/);
  assert.equal(err("img1\timg2\tsame\tsame\nx\ty\t1\t1\n").code, "bad_columns");
  // space-separated header is one unknown column, with a hint about tabs
  assert.match(err("img1 img2 same\n").message, /tab-separated/);
});

test("bad rows name the line", () => {
  const n = err("img1\timg2\tsame\nx\ty\n");
  assert.equal(n.code, "bad_row");
  assert.equal(n.line, 2);
  assert.match(n.message, /expected 3 tab-separated fields, found 2/);
  assert.match(err("img1\timg2\tsame\nx\ty\tyes\n").message, /"same" must be 0 or 1, got "yes"/);
  assert.match(err("img1\timg2\tsame\tfold\nx\ty\t1\t-1\n").message, /"fold" must be a non-negative integer/);
  assert.equal(err("img1\timg2\tsame\n\tb\t1\n").code, "bad_row");
});

test("empty files", () => {
  assert.equal(err("").code, "empty");
  assert.equal(err("# only a comment\n").code, "empty");
  assert.match(err("img1\timg2\tsame\n").message, /no pairs/);
});
