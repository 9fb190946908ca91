/**
 * persona eval pairs: a pair list through the real models: by default what the recognizers run (fr_feature with flip,
 * YuNet's keypoints where YuNet is present), and dlib aligned from keypoints or (--landmarks) from 68 landmarks.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { lfwPhoto, lfwSkipReason, tempDir } from "@persona/testing";
import { DEFAULT_EMBEDDER_MODEL, detectorChoice, MODEL_FILES, resolveModelPath } from "@persona/vision";
import { evalCommand } from "./commands/evaluate.ts";
import { capture } from "./testing/capture.ts";

const skip = lfwSkipReason(resolveModelPath(MODEL_FILES.dlibResnet), resolveModelPath(MODEL_FILES.landmark68));

test("persona eval pairs [--landmarks]: the report says how faces were aligned; easy LFW pairs rank right", {
  skip,
}, async (t) => {
  const dir = tempDir(t, "persona-eval-");
  const rows = [
    [lfwPhoto("Colin_Powell", 1), lfwPhoto("Colin_Powell", 2), 1],
    [lfwPhoto("Tony_Blair", 1), lfwPhoto("Tony_Blair", 2), 1],
    [lfwPhoto("Colin_Powell", 3), lfwPhoto("Tony_Blair", 3), 0],
    [lfwPhoto("Angelina_Jolie", 1), lfwPhoto("Tony_Blair", 4), 0],
  ];
  for (const [a, b] of rows) assert.ok(existsSync(a as string) && existsSync(b as string));
  const file = join(dir, "pairs.tsv");
  writeFileSync(file, `img1\timg2\tsame\n${rows.map((r) => r.join("\t")).join("\n")}\n`);
  const detector = detectorChoice().kind;
  const runs = [
    {
      label: "default",
      args: {},
      model: DEFAULT_EMBEDDER_MODEL,
      flip: true,
      alignment: detector === "yunet" ? "5 keypoints" : "4 keypoints",
    },
    {
      label: "dlib",
      args: { model: "dlib-resnet29", flip: false, landmarks: false },
      model: "dlib-resnet29",
      flip: false,
      alignment: "4 keypoints",
    },
    {
      label: "dlib-lm",
      args: { model: "dlib-resnet29", flip: false, landmarks: true },
      model: "dlib-resnet29",
      flip: false,
      alignment: "68 landmarks",
    },
  ];
  for (const r of runs) {
    const o = capture();
    const code = await evalCommand(
      { sub: "pairs", positionals: [file], out: join(dir, `out-${r.label}`), ensemble: false, json: true, ...r.args },
      o,
    );
    assert.equal(code, 0, o.err);
    const report = JSON.parse(o.out) as {
      pairs: number;
      run: { model: string; flip: boolean; detector: string; alignment: string };
      auc: number;
      scores: { genuineMean: number; impostorMean: number };
    };
    assert.equal(report.pairs, 4);
    assert.deepEqual(
      [report.run.model, report.run.flip, report.run.detector, report.run.alignment],
      [r.model, r.flip, detector, r.alignment],
      `${r.label}: what was measured`,
    );
    // (4 pairs are too few for the k-fold accuracy to mean anything; the ranking is what holds)
    assert.equal(report.auc, 1, `${report.run.alignment}: every same-person pair above every different-person pair`);
    assert.ok(report.scores.genuineMean > report.scores.impostorMean + 0.05);
  }
});
