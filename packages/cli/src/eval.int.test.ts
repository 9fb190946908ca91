/** persona eval pairs: a pair list through the real models, aligned from keypoints or (--landmarks) from 68 landmarks. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { lfwPhoto, lfwSkipReason } from "@persona/testing";
import { MODEL_FILES, resolveModelPath } from "@persona/vision";
import { evalCommand } from "./commands/evaluate.ts";
import { capture } from "./testing/capture.ts";

const skip = lfwSkipReason(resolveModelPath(MODEL_FILES.dlibResnet), resolveModelPath(MODEL_FILES.landmark68));

test("persona eval pairs [--landmarks]: the report says how faces were aligned; easy LFW pairs rank right", {
  skip,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "persona-eval-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rows = [
    [lfwPhoto("Colin_Powell", 1), lfwPhoto("Colin_Powell", 2), 1],
    [lfwPhoto("Tony_Blair", 1), lfwPhoto("Tony_Blair", 2), 1],
    [lfwPhoto("Colin_Powell", 3), lfwPhoto("Tony_Blair", 3), 0],
    [lfwPhoto("Angelina_Jolie", 1), lfwPhoto("Tony_Blair", 4), 0],
  ];
  for (const [a, b] of rows) assert.ok(existsSync(a as string) && existsSync(b as string));
  const file = join(dir, "pairs.tsv");
  writeFileSync(file, `img1\timg2\tsame\n${rows.map((r) => r.join("\t")).join("\n")}\n`);
  for (const landmarks of [false, true]) {
    const o = capture();
    const code = await evalCommand(
      {
        sub: "pairs",
        positionals: [file],
        out: join(dir, `out-${landmarks}`),
        flip: false,
        ensemble: false,
        landmarks,
        json: true,
      },
      o,
    );
    assert.equal(code, 0, o.err);
    const report = JSON.parse(o.out) as {
      pairs: number;
      run: { alignment: string };
      auc: number;
      scores: { genuineMean: number; impostorMean: number };
    };
    assert.equal(report.pairs, 4);
    assert.equal(report.run.alignment, landmarks ? "68 landmarks" : "4 keypoints");
    // (4 pairs are too few for the k-fold accuracy to mean anything; the ranking is what holds)
    assert.equal(report.auc, 1, `${report.run.alignment}: every same-person pair above every different-person pair`);
    assert.ok(report.scores.genuineMean > report.scores.impostorMean + 0.05);
  }
});
