import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { lfwChips, lfwMissing } from "../../test-support/lfwChips.ts";
import { batchesFor, splitRun } from "./dataset.ts";
import { fastProbabilities } from "./index.ts";
import { NET_INPUT } from "./onnxGraph.ts";
import { chipToSample } from "./sample.ts";
import { Net } from "./net.ts";
import { runSampleModel, sessionOf, trainAndExport } from "./trainRun.ts";

const PEOPLE = ["Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder"];
const STRANGERS = ["Jean_Chretien", "John_Ashcroft", "Jacques_Chirac", "Serena_Williams"];

describe("fast classifier training on real LFW crops", { skip: lfwMissing() }, () => {
  test("trains, exports ONNX that onnxruntime runs like tfjs, from the chip in one pass as from the stored sample", async (t) => {
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
    t.diagnostic(
      `validation accuracy ${r.metrics.validationAccuracy.toFixed(3)}; loss ${epochs.map((l) => l.toFixed(3)).join(" ")}`,
    );
    assert.ok(r.metrics.validationAccuracy > 0.45, `validation accuracy ${r.metrics.validationAccuracy}`);
    // the published graph takes the network input: a recognizer makes it from the chip in one pass
    // (fastProbabilities), and gets exactly what the trainer's samples give
    const session = await sessionOf(r.onnx);
    try {
      assert.deepEqual(session.inputNames, [NET_INPUT]);
      const chips = known.slice(0, 12).map((k) => k.chip);
      const fromSamples = (await runSampleModel(session, chips.map(chipToSample)))[0] as Float32Array;
      const k = data.classes.length;
      for (const [i, chip] of chips.entries()) {
        assert.deepEqual(await fastProbabilities(session, chip), fromSamples.subarray(i * k, (i + 1) * k));
      }
    } finally {
      await session.release();
    }
  });

  test("a run is reproducible: the same crops and seed give the same weights, bit for bit (dropout included)", async () => {
    const known = await lfwChips(PEOPLE.slice(0, 2), 8);
    const data = splitRun(
      known.map((c) => ({ id: c.file, personId: c.person, sample: chipToSample(c.chip) })),
      new Map(),
      { minPerPerson: 5 },
    );
    const run = async (seed: number) => {
      const net = await Net.train(data.classes.length, batchesFor(data.train, 8, seed), { epochs: 2, batchSize: 8, seed });
      try {
        // a digest per layer: a failing deepEqual of megabytes of text would take minutes to diff
        return net.weights().dense.map((d) => createHash("sha256").update(d.w).digest("hex"));
      } finally {
        net.dispose();
      }
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    assert.deepEqual(a, b, "same seed, same weights");
    assert.notDeepEqual(a, c, "another seed, other weights");
  });
});
