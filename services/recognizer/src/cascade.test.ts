import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CascadeOptions, ClassifierHolder, addClassifierShot, cascadeDecision, classifierShots } from "./cascade.ts";
import { chipToSample } from "@persona/service-trainer/classifier";
import { type ClassifierModel, chipSample } from "./classifierModel.ts";
import { type ShotMatch, type VoteOptions, addShot, decideTrack, newTrackState, readyToConclude } from "@persona/recognition";
import { TEST_VOTE } from "@persona/recognition/testing";

const vote: VoteOptions = { ...TEST_VOTE, fusedMinShots: 0 };
const o: CascadeOptions = { minProbability: 0.9, embeddingEvery: 0 };
const shot = (personId: string, similarity: number): ShotMatch => ({
  best: { personId, name: personId, similarity, margin: 0.1 },
});
const fast = (personId: string | null, probability: number) => ({ personId, name: personId ?? "unknown", probability });

function confirmedTrack() {
  const s = newTrackState("cam", "t");
  addShot(s, "d1", shot("ann", 0.93), vote);
  addShot(s, "d2", shot("ann", 0.92), vote);
  assert.equal(decideTrack(s, vote).kind, "recognized");
  return s;
}

describe("cascade decision", () => {
  test("an unconfirmed track always falls back, however sure the classifier is", () => {
    const s = newTrackState("cam", "t");
    assert.deepEqual(cascadeDecision(s, vote, fast("ann", 0.999), o), { kind: "fallback", reason: "track-not-confirmed" });
    addShot(s, "d1", shot("ann", 0.93), vote); // one shot: only "probable"
    assert.equal(cascadeDecision(s, vote, fast("ann", 0.999), o).kind, "fallback");
  });

  test("in a confirmed track: same person and sure -> accept; unknown, other person, unsure -> fall back", () => {
    const s = confirmedTrack();
    const ok = cascadeDecision(s, vote, fast("ann", 0.95), o);
    assert.equal(ok.kind, "accept");
    assert.equal(ok.kind === "accept" && ok.personId, "ann");
    assert.deepEqual(cascadeDecision(s, vote, fast(null, 0.99), o), { kind: "fallback", reason: "unknown-class" });
    assert.deepEqual(cascadeDecision(s, vote, fast("bob", 0.99), o), { kind: "fallback", reason: "other-person" });
    assert.deepEqual(cascadeDecision(s, vote, fast("ann", 0.89), o), { kind: "fallback", reason: "unsure" });
    assert.deepEqual(cascadeDecision(s, vote, fast("ann", Number.NaN), o), { kind: "fallback", reason: "unsure" });
  });

  test("every n-th shot is re-checked by the embedding path", () => {
    const s = confirmedTrack(); // processed = 2, so the 3rd shot is a re-check with n = 3
    assert.deepEqual(cascadeDecision(s, vote, fast("ann", 0.99), { ...o, embeddingEvery: 3 }), {
      kind: "fallback",
      reason: "recheck",
    });
    assert.equal(cascadeDecision(s, vote, fast("ann", 0.99), { ...o, embeddingEvery: 4 }).kind, "accept");
  });

  test("a classifier shot counts as processed but never votes, so it cannot change the track's decision", () => {
    const s = confirmedTrack();
    const before = JSON.stringify(s.tally);
    const d = cascadeDecision(s, vote, fast("ann", 0.95), o);
    assert.ok(d.kind === "accept");
    const outcome = addClassifierShot(s, "d3", d);
    assert.equal(outcome.decision, "confirmed");
    assert.equal(s.processed, 3);
    assert.equal(JSON.stringify(s.tally), before);
    assert.equal(s.unknownVotes, 0);
    assert.equal(classifierShots(s), 1);
    s.ended = { startedAt: "", endedAt: "", frames: 3, shots: 3, bestQuality: 1 };
    assert.equal(readyToConclude(s), true, "the track concludes once every shot, fast or not, is processed");
  });
});

describe("classifier hot swap", () => {
  const fakeModel = (id: string, log: string[]) =>
    ({
      modelId: id,
      async classify() {
        return fast("ann", 1);
      },
      async release() {
        log.push(`released ${id}`);
      },
    }) as unknown as ClassifierModel;

  test("the old model is released only after its in-flight calls finish; new calls get the new model", async () => {
    const log: string[] = [];
    const h = new ClassifierHolder();
    assert.equal(await h.use(async () => 1), null, "no model, no answer");
    await h.swap(fakeModel("m1", log));
    let finish: () => void = () => {};
    const inflight = h.use(async (m) => {
      await new Promise<void>((r) => {
        finish = r;
      });
      return m.modelId;
    });
    await h.swap(fakeModel("m2", log));
    assert.deepEqual(log, [], "m1 is still in use");
    assert.equal(await h.use(async (m) => m.modelId), "m2");
    finish();
    assert.equal(await inflight, "m1", "the in-flight call completed on its model");
    assert.deepEqual(log, ["released m1"]);
    await h.swap(fakeModel("m3", log));
    assert.deepEqual(log, ["released m1", "released m2"], "an idle model is released at once");
    assert.equal(h.releasedCount, 2);
  });
});

test("the recognizer computes the classifier's input exactly as the trainer stores its crops", () => {
  let seed = 1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let k = 0; k < 3; k++) {
    const chip = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).map(() => Math.floor(rand() * 256)) };
    assert.deepEqual(chipSample(chip), Float32Array.from(chipToSample(chip)));
  }
  assert.throws(() => chipSample({ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) }), /150px/);
});

test("a current (net-input) model and an older (sample-input) model with the same weights answer alike", async () => {
  const { buildOnnx } = await import("@persona/service-trainer/classifier");
  const { ClassifierModel } = await import("./classifierModel.ts");
  const { createHash } = await import("node:crypto");
  let seed = 3;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const rnd = (n: number, scale: number) => Float32Array.from({ length: n }, () => rand() * scale);
  const convs = [
    [1, 16],
    [16, 32],
    [32, 64],
  ].map(([cin, cout]) => ({
    w: rnd(9 * (cin as number) * (cout as number), 0.5),
    b: rnd(cout as number, 0.1),
    cin: cin as number,
    cout: cout as number,
  }));
  const weights = {
    convs,
    dense: [
      { w: rnd(1024 * 128, 0.2), b: rnd(128, 0.1), inputs: 1024, outputs: 128 },
      { w: rnd(128 * 3, 0.5), b: rnd(3, 0.1), inputs: 128, outputs: 3 },
    ],
    classes: 3,
  };
  const classes = [
    { personId: null, name: "unknown" },
    { personId: "00000000-0000-4000-8000-000000000001", name: "A" },
    { personId: "00000000-0000-4000-8000-000000000002", name: "B" },
  ];
  const load = (bytes: Uint8Array) =>
    ClassifierModel.load(bytes, {
      modelId: "m",
      model: {
        bucket: "models",
        key: "k",
        contentType: "application/onnx",
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
      },
      embeddingModel: "dlib-resnet29",
      inputSize: 32,
      classes,
      metrics: { validationAccuracy: 1, unknownRejection: 1, samples: 1, maxAbsDiffOnnx: 0 },
      trainedAt: new Date().toISOString(),
    });
  const net = await load(buildOnnx(weights, { input: "net" }));
  const old = await load(buildOnnx(weights, { input: "sample" }));
  try {
    assert.equal(net.input, "net");
    assert.equal(old.input, "sample");
    for (let k = 0; k < 4; k++) {
      const chip = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).map(() => Math.floor((rand() + 0.5) * 256)) };
      const a = await net.probabilities(chip);
      const b = await old.probabilities(chip);
      assert.equal(a.length, 3);
      for (let c = 0; c < 3; c++)
        assert.ok(Math.abs((a[c] as number) - (b[c] as number)) < 1e-4, `class ${c}: ${a[c]} vs ${b[c]}`);
    }
  } finally {
    await net.release();
    await old.release();
  }
});
