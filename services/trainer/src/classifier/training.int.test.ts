import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ort from "onnxruntime-node";
import { lfwChips, lfwMissing } from "../../test-support/lfwChips.ts";
import { splitRun } from "./dataset.ts";
import { CHIP_INPUT, PROBS_OUTPUT } from "./onnxGraph.ts";
import { chipToSample } from "./sample.ts";
import { runSampleModel, sessionOf, trainAndExport } from "./trainRun.ts";

const PEOPLE = ["Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder"];
const STRANGERS = ["Jean_Chretien", "John_Ashcroft", "Jacques_Chirac", "Serena_Williams"];

describe("fast classifier training on real LFW crops", { skip: lfwMissing() }, () => {
  test("trains, exports ONNX that onnxruntime runs like tfjs, from the chip as from the sample", async () => {
    const known = await lfwChips(PEOPLE, 30);
    const strangers = await lfwChips(STRANGERS, 8);
    const samples = [
      ...known.map((c) => ({ id: c.file, personId: c.person, sample: chipToSample(c.chip) })),
      ...strangers.map((c) => ({ id: c.file, personId: null, sample: chipToSample(c.chip) })),
    ];
    const data = splitRun(samples, new Map(), { minPerPerson: 5 });
    assert.equal(data.classes.length, PEOPLE.length + 1);
    const epochs: number[] = [];
    const r = await trainAndExport(data, {
      train: { epochs: 12 },
      minProbability: 0.9,
      metadata: { embeddingModel: "dlib-resnet29" },
      onEpoch: (e) => epochs.push(e.loss),
    });
    assert.equal(epochs.length, 12);
    assert.ok((epochs.at(-1) as number) < (epochs[0] as number), `loss falls: ${epochs.map((l) => l.toFixed(2)).join(" ")}`);
    // tfjs vs onnxruntime on the validation samples (the trainer's own check)
    assert.ok(r.metrics.maxAbsDiffOnnx < 1e-4, `max abs diff ${r.metrics.maxAbsDiffOnnx}`);
    // better than chance (1/5) by a wide margin on held-out faces of 4 people
    assert.ok(r.metrics.validationAccuracy > 0.45, `validation accuracy ${r.metrics.validationAccuracy}`);
    // the published graph does the preprocessing itself: fed the chips, it answers what the sample graph answers
    const chipSession = await sessionOf(r.chipOnnx);
    const sampleSession = await sessionOf(r.sampleOnnx);
    try {
      const chips = known.slice(0, 12).map((k) => k.chip);
      const fromSamples = (await runSampleModel(sampleSession, chips.map(chipToSample)))[0] as Float32Array;
      let maxDiff = 0;
      let sameTop = 0;
      const k = data.classes.length;
      for (const [i, chip] of chips.entries()) {
        const out = await chipSession.run({
          [CHIP_INPUT]: new ort.Tensor("float32", Float32Array.from(chip.data), [1, 150, 150, 3]),
        });
        const p = (out[PROBS_OUTPUT] as ort.Tensor).data as Float32Array;
        let a = 0;
        let b = 0;
        for (let c = 0; c < k; c++) {
          maxDiff = Math.max(maxDiff, Math.abs((p[c] as number) - (fromSamples[i * k + c] as number)));
          if ((p[c] as number) > (p[a] as number)) a = c;
          if ((fromSamples[i * k + c] as number) > (fromSamples[i * k + b] as number)) b = c;
        }
        if (a === b) sameTop++;
      }
      // the sample is stored as bytes (rounded); the chip graph keeps the fractions: a small difference only
      assert.ok(maxDiff < 0.05, `chip graph vs sample graph: max abs diff ${maxDiff}`);
      assert.ok(sameTop >= chips.length - 1, `same top class on ${sameTop}/${chips.length}`);
    } finally {
      await chipSession.release();
      await sampleSession.release();
    }
  });
});
