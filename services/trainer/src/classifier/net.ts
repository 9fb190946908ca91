/**
 * The fast classifier network, trained with tfjs on its wasm backend. The wasm backend has no
 * Conv2DBackpropFilter kernel, so each 3x3 convolution is written as im2col (pad, nine slices, concat) + matMul,
 * whose gradients it has. Layout NHWC:
 *   [N,32,32,1] -> conv3x3 16 + relu -> maxpool 2 -> conv3x3 32 + relu -> maxpool 2 -> conv3x3 64 + relu -> maxpool 2
 *   -> flatten (4*4*64) -> dense 128 + relu -> dropout (training) -> dense K+1 -> softmax
 * Class 0 is "unknown"; classes 1..K are people.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { NET_SIZE } from "./sample.ts";

export const CONV_CHANNELS = [16, 32, 64] as const;
export const HIDDEN = 128;

let backendReady: Promise<void> | undefined;

/** Selects tfjs's wasm backend (files from the installed package; nothing is downloaded). */
export function useWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`);
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs wasm backend failed to initialise");
    await tf.ready();
  })();
  return backendReady;
}

export interface ConvWeights {
  /** im2col layout [9 * cin, cout], row = (dy * 3 + dx) * cin + c. */
  w: Float32Array;
  b: Float32Array;
  cin: number;
  cout: number;
}

export interface NetWeights {
  convs: ConvWeights[];
  /** [inputs, outputs] row-major, inputs in NHWC flatten order. */
  dense: { w: Float32Array; b: Float32Array; inputs: number; outputs: number }[];
  classes: number;
}

interface Vars {
  convs: { w: tf.Variable; b: tf.Variable; cin: number; cout: number }[];
  dense: { w: tf.Variable; b: tf.Variable; inputs: number; outputs: number }[];
}

function heNormal(shape: number[], fanIn: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), "float32", seed);
}

function makeVars(classes: number, seed: number): Vars {
  const convs: Vars["convs"] = [];
  let cin = 1;
  let s = seed;
  for (const cout of CONV_CHANNELS) {
    convs.push({ w: tf.variable(heNormal([9 * cin, cout], 9 * cin, s++)), b: tf.variable(tf.zeros([cout])), cin, cout });
    cin = cout;
  }
  const side = NET_SIZE / 2 ** CONV_CHANNELS.length;
  const flat = side * side * cin;
  const dense: Vars["dense"] = [
    { w: tf.variable(heNormal([flat, HIDDEN], flat, s++)), b: tf.variable(tf.zeros([HIDDEN])), inputs: flat, outputs: HIDDEN },
    {
      w: tf.variable(heNormal([HIDDEN, classes], HIDDEN, s++).mul(0.5)),
      b: tf.variable(tf.zeros([classes])),
      inputs: HIDDEN,
      outputs: classes,
    },
  ];
  return { convs, dense };
}

function conv3x3(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  const p = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const cols: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) cols.push(tf.slice(p, [0, dy, dx, 0], [n, h, wd, c]));
  const im = tf.concat(cols, 3).reshape([n * h * wd, 9 * c]);
  const cout = w.shape[1] as number;
  return tf.add(tf.matMul(im, w), b).reshape([n, h, wd, cout]);
}

/** `dropoutSeed` makes the dropout mask reproducible (tfjs draws it from Math.random otherwise). */
function forward(v: Vars, x: tf.Tensor4D, training: boolean, dropout: number, dropoutSeed = 0): tf.Tensor2D {
  let h = x;
  for (const c of v.convs) h = tf.maxPool(tf.relu(conv3x3(h, c.w, c.b)), 2, 2, "valid");
  let f = h.reshape([h.shape[0], -1]) as tf.Tensor2D;
  const [d1, d2] = v.dense as [Vars["dense"][0], Vars["dense"][0]];
  f = tf.relu(tf.add(tf.matMul(f, d1.w), d1.b)) as tf.Tensor2D;
  if (training && dropout > 0) f = tf.dropout(f, dropout, undefined, dropoutSeed) as tf.Tensor2D;
  return tf.add(tf.matMul(f, d2.w), d2.b) as tf.Tensor2D;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  weightDecay: number;
  seed: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  epochs: 20,
  batchSize: 32,
  learningRate: 2e-3,
  dropout: 0.3,
  weightDecay: 1e-4,
  seed: 7,
};

/** Supplies one epoch's batches: inputs [n * 32 * 32] (standardised windows) and class indices. */
export type BatchSource = (epoch: number) => Iterable<{ x: Float32Array; y: Int32Array }>;

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  seconds: number;
}

/** A trained network held in tfjs; `weights()` exports it, `dispose()` frees it. */
export class Net {
  private constructor(
    private readonly vars: Vars,
    readonly classes: number,
  ) {}

  static async train(
    classes: number,
    batches: BatchSource,
    options: Partial<TrainOptions> = {},
    onEpoch: (r: EpochReport) => void = () => {},
  ): Promise<Net> {
    await useWasmBackend();
    const o = { ...TRAIN_DEFAULTS, ...options };
    const vars = makeVars(classes, o.seed);
    const optimizer = tf.train.adam(o.learningRate);
    const trainable = [...vars.convs.flatMap((c) => [c.w, c.b]), ...vars.dense.flatMap((d) => [d.w, d.b])];
    const decayed = [...vars.convs.map((c) => c.w), ...vars.dense.map((d) => d.w)];
    // every random draw is seeded (weights, batches, dropout), so a run on the same crops gives the same model
    let step = 0;
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const t0 = performance.now();
      let total = 0;
      let count = 0;
      for (const b of batches(epoch)) {
        const n = b.y.length;
        const dropoutSeed = o.seed * 1_000_003 + ++step;
        const cost = tf.tidy((): tf.Scalar => {
          const x = tf.tensor4d(b.x, [n, NET_SIZE, NET_SIZE, 1]);
          const y = tf.oneHot(tf.tensor1d(b.y, "int32"), classes);
          return optimizer.minimize(
            () => {
              const ce = tf.losses.softmaxCrossEntropy(y, forward(vars, x, true, o.dropout, dropoutSeed)) as tf.Scalar;
              if (o.weightDecay <= 0) return ce;
              return tf.add(ce, tf.mul(o.weightDecay, tf.addN(decayed.map((w) => tf.sum(tf.square(w)))))) as tf.Scalar;
            },
            true,
            trainable,
          ) as tf.Scalar;
        });
        total += (cost?.dataSync()[0] ?? 0) * n;
        count += n;
        cost?.dispose();
        // let the event loop breathe between batches (health checks, IPC)
        await new Promise((r) => setImmediate(r));
      }
      onEpoch({ epoch, epochs: o.epochs, loss: count ? total / count : 0, seconds: (performance.now() - t0) / 1000 });
    }
    optimizer.dispose();
    return new Net(vars, classes);
  }

  /** Softmax probabilities [n, classes] of standardised windows. */
  predict(x: Float32Array, n: number): Float32Array {
    return tf.tidy(
      () => tf.softmax(forward(this.vars, tf.tensor4d(x, [n, NET_SIZE, NET_SIZE, 1]), false, 0)).dataSync() as Float32Array,
    );
  }

  weights(): NetWeights {
    return {
      classes: this.classes,
      convs: this.vars.convs.map((c) => ({
        w: c.w.dataSync() as Float32Array,
        b: c.b.dataSync() as Float32Array,
        cin: c.cin,
        cout: c.cout,
      })),
      dense: this.vars.dense.map((d) => ({
        w: d.w.dataSync() as Float32Array,
        b: d.b.dataSync() as Float32Array,
        inputs: d.inputs,
        outputs: d.outputs,
      })),
    };
  }

  dispose(): void {
    for (const c of this.vars.convs) tf.dispose([c.w, c.b]);
    for (const d of this.vars.dense) tf.dispose([d.w, d.b]);
  }
}
