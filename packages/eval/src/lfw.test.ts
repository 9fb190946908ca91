import assert from "node:assert/strict";
import { test } from "node:test";
import { PairsFileError } from "./errors.ts";
import { lfwImagePath, parseLfwPairs, parseLfwPeople } from "./lfw.ts";

test("lfwImagePath pads the index to four digits", () => {
  assert.equal(lfwImagePath("/l", "George_W_Bush", 10), "/l/George_W_Bush/George_W_Bush_0010.jpg");
});

test("parses View 2 folds: matched then mismatched per fold", () => {
  const text = "2\t1\nA\t1\t2\nB\t1\tC\t3\nD\t2\t4\nE\t1\tF\t1\n";
  const p = parseLfwPairs(text, "pairs.txt", "/l");
  assert.deepEqual(
    p.map((x) => [x.fold, x.same, x.img1.slice(3), x.img2.slice(3)]),
    [
      [0, true, "A/A_0001.jpg", "A/A_0002.jpg"],
      [0, false, "B/B_0001.jpg", "C/C_0003.jpg"],
      [1, true, "D/D_0002.jpg", "D/D_0004.jpg"],
      [1, false, "E/E_0001.jpg", "F/F_0001.jpg"],
    ],
  );
});

test("parses View 1 (single count header)", () => {
  const p = parseLfwPairs("1\nA\t1\t2\nB\t1\tC\t1\n", "pairsDevTrain.txt", "/l");
  assert.equal(p.length, 2);
  assert.ok(p.every((x) => x.fold === 0));
});

test("errors: wrong counts, wrong shapes, bad indices", () => {
  const code = (t: string) => {
    try {
      parseLfwPairs(t, "p.txt", "/l");
    } catch (e) {
      assert.ok(e instanceof PairsFileError);
      return `${e.code}:${e.line ?? ""}`;
    }
    return "ok";
  };
  assert.equal(code("2\t1\nA\t1\t2\nB\t1\tC\t3\n"), "bad_row:");
  assert.equal(code("1\nA\t1\tB\t2\nB\t1\tC\t3\n"), "bad_row:2");
  assert.equal(code("1\nA\t1\t2\nB\t1\tC\n"), "bad_row:3");
  assert.equal(code("1\nA\t0\t2\nB\t1\tC\t1\n"), "bad_row:2");
  assert.equal(code("x y z\n"), "bad_columns:1");
  assert.equal(code(""), "empty:");
});

test("people lists with and without count headers", () => {
  assert.deepEqual(parseLfwPeople("2\nA\t3\nB\t1\n", "peopleDevTrain.txt"), [
    { name: "A", count: 3 },
    { name: "B", count: 1 },
  ]);
  assert.equal(parseLfwPeople("A\t1\n", "lfw-names.txt").length, 1);
  assert.throws(() => parseLfwPeople("A\tx\n", "n.txt"), PairsFileError);
});
