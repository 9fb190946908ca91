/**
 * Chip enhancement on real LFW faces: a well-lit chip is left alone; a darkened one is lifted, a flattened one
 * equalised, a blurred one sharpened, each step chosen from the chip's own measures.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { findDatasetsDir } from "@persona/runtime";
import { alignFace } from "./alignment.ts";
import { matOf, opencv, imageOf } from "./cv.ts";
import { FaceDetector } from "./detector.ts";
import { enhanceChip, enhanceSteps, measureChip } from "./enhance.ts";
import { decodeImage } from "./image.ts";
import { ARCFACE_112 } from "./templates.ts";
import { blazefaceSkipReason, lfwFirstImages } from "./test-support/datasets.ts";
import type { RgbImage } from "./types.ts";

const root = findDatasetsDir();
const skip = blazefaceSkipReason(root);

async function chips(n: number): Promise<RgbImage[]> {
  const detector = await FaceDetector.create({ detector: "blazeface" });
  try {
    const out: RgbImage[] = [];
    for (const f of lfwFirstImages(root as string, n, 300)) {
      const img = await decodeImage(f);
      const [d] = await detector.detect(img);
      if (d) out.push(alignFace(img, d.keypoints, ARCFACE_112).chip);
    }
    return out;
  } finally {
    await detector.dispose();
  }
}

test("enhanceChip: clean LFW chips mostly untouched; dark, flat and blurred ones get the step they need", { skip }, async () => {
  const cv = opencv();
  const list = await chips(12);
  assert.ok(list.length >= 10);
  const untouched = list.filter((c) => enhanceChip(c).steps.length === 0).length;
  assert.ok(untouched >= list.length * 0.7, `${untouched} of ${list.length} clean chips left alone`);
  for (const chip of list) {
    const dark = imageOf(matOf(chip).convertTo(cv.CV_8UC3, 0.25));
    const d = enhanceChip(dark);
    assert.ok(d.steps.includes("gamma"), `a chip at 25% exposure is lifted (steps ${d.steps})`);
    assert.ok(measureChip(d.chip).brightness > measureChip(dark).brightness + 30);

    const flat = imageOf(matOf(chip).convertTo(cv.CV_8UC3, 0.3, 90));
    const f = enhanceChip(flat);
    assert.ok(f.steps.includes("equalize"), `a flattened chip is equalised (steps ${f.steps})`);
    assert.ok(measureChip(f.chip).contrast > measureChip(flat).contrast * 1.5);

    const blurred = imageOf(matOf(chip).gaussianBlur(new cv.Size(0, 0), 2.5));
    const b = enhanceChip(blurred);
    assert.ok(b.steps.includes("sharpen"), `a blurred chip is sharpened (steps ${b.steps})`);
    assert.ok(measureChip(b.chip).sharpness > measureChip(blurred).sharpness);
  }
  // the input is never written to
  const copy = list[0]?.data.slice();
  enhanceChip(imageOf(matOf(list[0] as RgbImage).convertTo(cv.CV_8UC3, 0.25)));
  assert.deepEqual(list[0]?.data, copy);
});

test("enhanceSteps follows the thresholds", () => {
  assert.deepEqual(enhanceSteps({ brightness: 120, contrast: 50, sharpness: 200 }), []);
  assert.deepEqual(enhanceSteps({ brightness: 40, contrast: 20, sharpness: 10 }), ["gamma", "equalize", "sharpen"]);
  assert.deepEqual(enhanceSteps({ brightness: 40, contrast: 50, sharpness: 200 }, { darkBelow: 30 }), []);
});
