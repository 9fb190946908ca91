import assert from "node:assert/strict";
import { test } from "node:test";
import { DataType, GraphBuilder } from "@persona/onnx";
import * as ort from "onnxruntime-node";
import { fastConvNet } from "./onnx-fast.ts";

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Zeroes the weights of output channels `dead` (each `per` values long) of a conv's weights. */
function killRows(w: number[], per: number, dead: readonly number[]): number[] {
  const out = [...w];
  for (const k of dead) out.fill(0, k * per, (k + 1) * per);
  return out;
}

/**
 * One MobileFaceNet block as fr_feature has them: x [1,4,6,6] -> 1x1 expand to 8 -> PRelu -> depthwise 3x3 (pad 1) ->
 * PRelu -> 1x1 project to 4. Channels 1 and 5 are dead in both convs (zero weights, bias 1e-24, as batch-norm folding
 * leaves them); channel 3 only in the depthwise conv (its output is zero whatever comes in); channel 6 only in the
 * expansion (the depthwise output is then its bias everywhere: a constant the projection must absorb).
 */
function block(): Uint8Array {
  const g = new GraphBuilder("block");
  const x = g.input("x", DataType.FLOAT, [1, 4, 6, 6]);
  const be = values(8, 2).map((v, i) => ([1, 5, 6].includes(i) ? 1e-24 : v));
  const e = g.node("Conv", [x, g.floats("we", [8, 4, 1, 1], killRows(values(32, 1), 4, [1, 5, 6])), g.floats("be", [8], be)], {
    kernel_shape: { ints: [1, 1] },
  });
  const pe = g.node("PRelu", [e, g.floats("se", [8, 1, 1], values(8, 3))]);
  const bd = values(8, 5).map((v, i) => ([1, 3, 5].includes(i) ? -1e-25 : i === 6 ? -0.7 : v));
  const d = g.node("Conv", [pe, g.floats("wd", [8, 1, 3, 3], killRows(values(72, 4), 9, [1, 3, 5])), g.floats("bd", [8], bd)], {
    kernel_shape: { ints: [3, 3] },
    pads: { ints: [1, 1, 1, 1] },
    group: 8,
  });
  const pd = g.node("PRelu", [d, g.floats("sd", [8, 1, 1], values(8, 6))]);
  g.nodeTo("y", "Conv", [pd, g.floats("wp", [4, 8, 1, 1], values(32, 7)), g.floats("bp", [4], values(4, 8))], {
    kernel_shape: { ints: [1, 1] },
  });
  g.output("y", DataType.FLOAT, [1, 4, 6, 6]);
  return g.encode({ opset: 9, producer: "test", producerVersion: "1", docString: "", metadata: {} });
}

async function run(model: Uint8Array, input: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  const out = await s.run({ x: new ort.Tensor("float32", input, [1, 4, 6, 6]) });
  await s.release();
  return out.y?.data as Float32Array;
}

test("fastConvNet: PRelu as Relu/Sub/Mul/Add and the dead channels cut give the same outputs", async () => {
  const original = block();
  const { bytes, report } = fastConvNet(original, { fast: "yes" });
  assert.deepEqual(report, { prelus: 2, blocks: 1, channelsBefore: 8, channelsAfter: 4, folded: 1 });
  const input = Float32Array.from(values(144, 9), (v) => v * 3);
  const [a, b] = [await run(original, input), await run(bytes, input)];
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  // float32 sums in another order, one rounding in the rewritten PRelu: far below what an embedding can show
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
});

test("fastConvNet leaves a graph without such blocks as it was, but for PRelu", async () => {
  const g = new GraphBuilder("plain");
  const x = g.input("x", DataType.FLOAT, [1, 4, 6, 6]);
  g.nodeTo("y", "PRelu", [x, g.floats("s", [4, 1, 1], [0.1, -0.2, 0.3, 1.5])]);
  g.output("y", DataType.FLOAT, [1, 4, 6, 6]);
  const original = g.encode({ opset: 9, producer: "test", producerVersion: "1", docString: "", metadata: {} });
  const { bytes, report } = fastConvNet(original);
  assert.deepEqual(report, { prelus: 1, blocks: 0, channelsBefore: 0, channelsAfter: 0, folded: 0 });
  const input = Float32Array.from(values(144, 11), (v) => v * 5);
  const [a, b] = [await run(original, input), await run(bytes, input)];
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= 1e-6 * Math.abs(a[i] as number) + 1e-7);
});
