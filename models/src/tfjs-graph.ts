/**
 * A small TensorFlow.js graph-model (model.json + weight shards) -> ONNX converter.
 *
 * Tensors stay NHWC, as in TensorFlow: every convolution and pooling is wrapped in a Transpose pair
 * (NHWC -> NCHW -> op -> NHWC), which onnxruntime's transpose optimizer pushes through the element-wise ops and
 * cancels. TF `SAME` padding becomes `auto_pad=SAME_UPPER` (TF puts the odd pixel at the end, as SAME_UPPER does).
 * Only the nodes the requested outputs depend on are converted; an op outside the handled set is an error
 * (ModelBuildError "unsupported"), never silently approximated.
 */
import { ModelBuildError } from "./errors.ts";
import { type Attr, DataType, type DataTypeCode, GraphBuilder } from "@persona/onnx";
import { transposeData, type WeightGroup, type WeightMap, type WeightTensor } from "./tfjs-weights.ts";

export interface TfAttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrValue>;
}

export interface TfGraphModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: { node: TfNode[]; versions?: Record<string, unknown>; library?: unknown };
  weightsManifest: WeightGroup[];
}

export interface GraphConversionSpec {
  graphName: string;
  /** ONNX name of the (single) graph input. */
  inputName: string;
  /** TF tensor names (":0" optional) to ONNX output names, in output order. */
  outputs: readonly { tf: string; onnx: string }[];
  docString: string;
  metadata: Record<string, string>;
}

export interface GraphConversionResult {
  bytes: Uint8Array;
  /** How many TF nodes of each op were converted (Const and Identity included). */
  ops: Record<string, number>;
  inputShape: number[];
  outputShapes: Record<string, number[]>;
}

/** A converted tensor: its ONNX name, element type and static NHWC shape (-1 = unknown, e.g. the batch). */
interface Value {
  name: string;
  type: DataTypeCode;
  shape: number[];
}

const NCHW = [0, 3, 1, 2];
const NHWC = [0, 2, 3, 1];
/** The two orders of a commutative op's two operands (which is which when matching a pattern). */
const OPERAND_ORDERS = [
  [0, 1],
  [1, 0],
] as const;

function decodeS(s: string | undefined): string {
  return s === undefined ? "" : Buffer.from(s, "base64").toString("utf8");
}

function ints(list: readonly (string | number)[] | undefined): number[] {
  return (list ?? []).map((v) => Number(v));
}

function broadcast(a: readonly number[], b: readonly number[], where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (x === -1 || y === -1) out.push(x === -1 ? y : x);
    else throw new ModelBuildError("unsupported", `${where}: shapes [${a.join(",")}] and [${b.join(",")}] do not broadcast`);
  }
  return out;
}

/** TF binary (broadcasting) ops and the ONNX op of each. */
const BINARY_OPS: Record<string, string> = {
  BiasAdd: "Add",
  Add: "Add",
  AddV2: "Add",
  Sub: "Sub",
  Mul: "Mul",
  RealDiv: "Div",
  Div: "Div",
  Maximum: "Max",
  Minimum: "Min",
  Pow: "Pow",
};

function convDim(size: number, k: number, stride: number, dilation: number, padding: string, padSum: number): number {
  if (size < 0) return -1;
  const eff = (k - 1) * dilation + 1;
  if (padding === "SAME") return Math.ceil(size / stride);
  return Math.floor((size + padSum - eff) / stride) + 1;
}

class Converter {
  readonly g: GraphBuilder;
  private readonly nodes = new Map<string, TfNode>();
  private readonly values = new Map<string, Value>();
  private readonly constCache = new Map<string, Value>();
  private readonly visiting = new Set<string>();
  readonly ops: Record<string, number> = {};
  inputShape: number[] = [];

  constructor(
    model: TfGraphModelJson,
    private readonly weights: WeightMap,
    private readonly spec: GraphConversionSpec,
  ) {
    this.g = new GraphBuilder(spec.graphName);
    for (const n of model.modelTopology.node) {
      if (this.nodes.has(n.name)) throw new ModelBuildError("weights", `graph has two nodes named ${n.name}`);
      this.nodes.set(n.name, n);
    }
  }

  private fail(node: TfNode, what: string): never {
    throw new ModelBuildError("unsupported", `node ${node.name} (${node.op}): ${what}`);
  }

  /** The TF node feeding input `i` of `node` (control inputs excluded). */
  private inputNode(node: TfNode, i: number): TfNode {
    const inputs = (node.input ?? []).filter((s) => !s.startsWith("^"));
    const ref = inputs[i];
    if (ref === undefined) this.fail(node, `has no input ${i}`);
    const [name, port] = ref.split(":") as [string, string | undefined];
    if (port !== undefined && port !== "0")
      this.fail(node, `uses output ${port} of ${name}; only single-output producers are handled`);
    const src = this.nodes.get(name);
    if (!src) this.fail(node, `input ${ref} is not in the graph`);
    return src;
  }

  private dataInputCount(node: TfNode): number {
    return (node.input ?? []).filter((s) => !s.startsWith("^")).length;
  }

  /** The constant at input `i` (a Const node whose value is in the weights). */
  private constAt(node: TfNode, i: number): WeightTensor {
    let src = this.inputNode(node, i);
    while (src.op === "Identity") src = this.inputNode(src, 0);
    if (src.op !== "Const") this.fail(node, `input ${i} must be a constant, is ${src.op} ${src.name}`);
    return this.constValue(src);
  }

  private constValue(src: TfNode): WeightTensor {
    const w = this.weights.get(src.name);
    if (!w) throw new ModelBuildError("weights", `Const ${src.name} has no value in the weights`);
    return w;
  }

  private constInts(node: TfNode, i: number): number[] {
    const c = this.constAt(node, i);
    return Array.from(c.data, (v) => Number(v));
  }

  /** Converted value of input `i`. */
  private valueAt(node: TfNode, i: number): Value {
    return this.convert(this.inputNode(node, i));
  }

  private attr(node: TfNode, key: string): TfAttrValue | undefined {
    return node.attr?.[key];
  }

  private attrInts(node: TfNode, key: string, fallback: number[]): number[] {
    const a = this.attr(node, key);
    const list = ints(a?.list?.i);
    return list.length > 0 ? list : fallback;
  }

  private attrString(node: TfNode, key: string): string {
    return decodeS(this.attr(node, key)?.s);
  }

  private checkNhwc(node: TfNode): void {
    const fmt = this.attrString(node, "data_format");
    if (fmt !== "" && fmt !== "NHWC") this.fail(node, `data_format ${fmt} (only NHWC)`);
  }

  private emit(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, Attr>,
    hint: string,
    type: DataTypeCode,
    shape: number[],
  ): Value {
    return { name: this.g.node(op, inputs, attrs, hint), type, shape };
  }

  convert(node: TfNode): Value {
    const done = this.values.get(node.name);
    if (done) return done;
    if (this.visiting.has(node.name)) this.fail(node, "is part of a cycle");
    this.visiting.add(node.name);
    const v = this.convertNode(node);
    this.visiting.delete(node.name);
    this.values.set(node.name, v);
    this.ops[node.op] = (this.ops[node.op] ?? 0) + 1;
    return v;
  }

  /** The scalar value of a float Const (through Identity), or undefined if `ref` is anything else. */
  private scalarConst(node: TfNode, i: number): number | undefined {
    let src = this.inputNode(node, i);
    while (src.op === "Identity") src = this.inputNode(src, 0);
    if (src.op !== "Const") return undefined;
    const w = this.weights.get(src.name);
    if (w?.dtype !== "float32" || w.data.length !== 1) return undefined;
    return w.data[0];
  }

  /** For a binary op with one scalar constant operand: that constant and the other operand's index. */
  private scalarOperand(node: TfNode): { value: number; other: number } | undefined {
    if (this.dataInputCount(node) !== 2) return undefined;
    const a = this.scalarConst(node, 0);
    if (a !== undefined) return { value: a, other: 1 };
    const b = this.scalarConst(node, 1);
    return b !== undefined ? { value: b, other: 0 } : undefined;
  }

  /**
   * Exact rewrites of element-wise patterns into single ONNX ops that onnxruntime can fuse into the preceding Conv:
   * - Maximum(Minimum(x, hi), lo) and Minimum(Maximum(x, lo), hi), scalar lo <= hi -> Clip(x, lo, hi), and
   *   Clip(Relu(y), lo >= 0, hi) -> Clip(y, lo, hi) (Keras' ReLU6 as exported by tfjs);
   * - AddV2(Maximum(x, 0), Mul(alpha, Minimum(x, 0))) -> PRelu(x, alpha) (MXNet's PReLU as exported by MMdnn):
   *   x + alpha*0 == x for x >= 0 and 0 + alpha*x == alpha*x for x < 0, bit for bit.
   * A matched inner node that is also used elsewhere is still converted on its own where it is used.
   */
  private fusedPattern(node: TfNode): Value | undefined {
    const g = this.g;
    if (node.op === "Maximum" || node.op === "Minimum") {
      const outer = this.scalarOperand(node);
      if (!outer) return undefined;
      const inner = this.inputNode(node, outer.other);
      const innerOp = node.op === "Maximum" ? "Minimum" : "Maximum";
      if (inner.op !== innerOp) return undefined;
      const innerScalar = this.scalarOperand(inner);
      if (!innerScalar) return undefined;
      const lo = node.op === "Maximum" ? outer.value : innerScalar.value;
      const hi = node.op === "Maximum" ? innerScalar.value : outer.value;
      if (!(lo <= hi)) return undefined;
      let src = this.inputNode(inner, innerScalar.other);
      if (src.op === "Relu" && lo >= 0) src = this.inputNode(src, 0);
      const x = this.convert(src);
      if (x.type !== DataType.FLOAT) return undefined;
      return this.emit(
        "Clip",
        [x.name, g.floats(`${node.name}/min`, [], [lo]), g.floats(`${node.name}/max`, [], [hi])],
        {},
        node.name,
        x.type,
        x.shape,
      );
    }
    if (node.op === "AddV2" || node.op === "Add") {
      if (this.dataInputCount(node) !== 2) return undefined;
      for (const [mi, ni] of OPERAND_ORDERS) {
        const max = this.inputNode(node, mi);
        const mul = this.inputNode(node, ni);
        if (max.op !== "Maximum" || mul.op !== "Mul") continue;
        const maxZero = this.scalarOperand(max);
        if (maxZero?.value !== 0) continue;
        const x = this.inputNode(max, maxZero.other);
        for (const [ai, mn] of OPERAND_ORDERS) {
          const alphaNode = this.inputNode(mul, ai);
          const min = this.inputNode(mul, mn);
          if (alphaNode.op !== "Const" || min.op !== "Minimum") continue;
          const minZero = this.scalarOperand(min);
          if (minZero?.value !== 0 || this.inputNode(min, minZero.other) !== x) continue;
          const alpha = this.constValue(alphaNode);
          const xv = this.convert(x);
          const channels = xv.shape[xv.shape.length - 1];
          if (alpha.dtype !== "float32" || (alpha.data.length !== 1 && alpha.data.length !== channels)) continue;
          const dims = alpha.data.length === 1 ? [] : [alpha.data.length];
          return this.emit(
            "PRelu",
            [xv.name, g.floats(`${node.name}/alpha`, dims, alpha.data)],
            {},
            node.name,
            xv.type,
            xv.shape,
          );
        }
      }
    }
    return undefined;
  }

  private convertNode(node: TfNode): Value {
    const fused = this.fusedPattern(node);
    if (fused) return fused;
    const convert = this.converters.get(node.op);
    if (!convert) this.fail(node, "op not handled by the converter");
    return convert(node);
  }

  /** The converter of each handled TF op; an op missing here is an error (see the file's comment). */
  private readonly converters = this.converterTable();

  private converterTable(): Map<string, (node: TfNode) => Value> {
    const table = new Map<string, (node: TfNode) => Value>();
    const on = (ops: readonly string[], convert: (node: TfNode) => Value) => {
      for (const op of ops) table.set(op, convert);
    };
    on(["Placeholder"], (n) => this.placeholder(n));
    on(["Const"], (n) => this.constant(n));
    on(["Identity"], (n) => this.valueAt(n, 0));
    on(["Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"], (n) => this.conv(n));
    on(["MaxPool", "AvgPool"], (n) => this.pool(n));
    on(Object.keys(BINARY_OPS), (n) => this.binary(n));
    on(["SquaredDifference"], (n) => this.squaredDifference(n));
    on(["Relu", "Elu", "Sigmoid", "Tanh", "Abs", "Neg", "Exp", "Log", "Sqrt"], (n) => this.unary(n));
    on(["Relu6"], (n) => this.relu6(n));
    on(["LeakyRelu"], (n) => this.leakyRelu(n));
    on(["Prelu"], (n) => this.prelu(n));
    on(["Rsqrt"], (n) => this.rsqrt(n));
    on(["Square"], (n) => this.square(n));
    on(["Softmax"], (n) => this.softmax(n));
    on(["Mean", "Sum", "Max", "Min", "Prod"], (n) => this.reduce(n));
    on(["MatMul", "_FusedMatMul"], (n) => this.matmul(n));
    on(["Reshape"], (n) => this.reshape(n));
    on(["Squeeze"], (n) => this.squeeze(n));
    on(["ExpandDims"], (n) => this.expandDims(n));
    on(["Transpose"], (n) => this.transpose(n));
    on(["Pad", "PadV2", "MirrorPad"], (n) => this.pad(n));
    on(["ConcatV2"], (n) => this.concat(n));
    on(["Cast"], (n) => this.cast(n));
    return table;
  }

  private placeholder(node: TfNode): Value {
    const dims = this.attr(node, "shape")?.shape?.dim ?? [];
    const shape = dims.map((d) => Number(d.size ?? -1));
    if (shape.length === 0) this.fail(node, "placeholder without a static rank");
    const type = this.attr(node, "dtype")?.type;
    if (type !== undefined && type !== "DT_FLOAT") this.fail(node, `placeholder of ${type}`);
    if (this.inputShape.length > 0) this.fail(node, "a second placeholder (only single-input graphs are handled)");
    this.inputShape = shape;
    const name = this.g.input(
      this.spec.inputName,
      DataType.FLOAT,
      shape.map((d) => (d < 0 ? "N" : d)),
    );
    return { name, type: DataType.FLOAT, shape };
  }

  private constant(node: TfNode): Value {
    const g = this.g;
    const hint = node.name;
    const cached = this.constCache.get(node.name);
    if (cached) return cached;
    const w = this.constValue(node);
    const name =
      w.dtype === "float32"
        ? g.constant(hint, { type: "float32", dims: w.shape, data: w.data })
        : g.constant(hint, { type: "int32", dims: w.shape, data: w.data });
    const v = { name, type: w.dtype === "float32" ? DataType.FLOAT : DataType.INT32, shape: [...w.shape] } as Value;
    this.constCache.set(node.name, v);
    return v;
  }

  private binary(node: TfNode): Value {
    if (node.op === "BiasAdd") this.checkNhwc(node);
    const a = this.valueAt(node, 0);
    const b = this.valueAt(node, 1);
    if (a.type !== b.type) this.fail(node, "operands of different element types");
    return this.emit(
      BINARY_OPS[node.op] as string,
      [a.name, b.name],
      {},
      node.name,
      a.type,
      broadcast(a.shape, b.shape, node.name),
    );
  }

  private squaredDifference(node: TfNode): Value {
    const hint = node.name;
    const a = this.valueAt(node, 0);
    const b = this.valueAt(node, 1);
    const d = this.g.node("Sub", [a.name, b.name], {}, `${hint}/sub`);
    return this.emit("Mul", [d, d], {}, hint, a.type, broadcast(a.shape, b.shape, node.name));
  }

  /** An element-wise op ONNX has under the same name. */
  private unary(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    return this.emit(node.op, [x.name], {}, node.name, x.type, x.shape);
  }

  private relu6(node: TfNode): Value {
    const g = this.g;
    const hint = node.name;
    const x = this.valueAt(node, 0);
    return this.emit(
      "Clip",
      [x.name, g.floats(`${hint}/min`, [], [0]), g.floats(`${hint}/max`, [], [6])],
      {},
      hint,
      x.type,
      x.shape,
    );
  }

  private leakyRelu(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    return this.emit("LeakyRelu", [x.name], { alpha: { f: this.attr(node, "alpha")?.f ?? 0.2 } }, node.name, x.type, x.shape);
  }

  private prelu(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    const alpha = this.valueAt(node, 1);
    return this.emit("PRelu", [x.name, alpha.name], {}, node.name, x.type, x.shape);
  }

  private rsqrt(node: TfNode): Value {
    const hint = node.name;
    const x = this.valueAt(node, 0);
    const s = this.g.node("Sqrt", [x.name], {}, `${hint}/sqrt`);
    return this.emit("Reciprocal", [s], {}, hint, x.type, x.shape);
  }

  private square(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    return this.emit("Mul", [x.name, x.name], {}, node.name, x.type, x.shape);
  }

  private softmax(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    return this.emit("Softmax", [x.name], { axis: -1 }, node.name, x.type, x.shape);
  }

  private reshape(node: TfNode): Value {
    const hint = node.name;
    const x = this.valueAt(node, 0);
    const target = this.constInts(node, 1);
    const known = x.shape.every((d) => d >= 0) ? x.shape.reduce((a, b) => a * b, 1) : -1;
    const shape = target.map((d) => d);
    const minus = shape.indexOf(-1);
    if (minus >= 0 && known >= 0) shape[minus] = known / shape.reduce((a, b, i) => (i === minus ? a : a * b), 1);
    return this.emit("Reshape", [x.name, this.g.int64s(`${hint}/shape`, target)], {}, hint, x.type, shape);
  }

  private squeeze(node: TfNode): Value {
    const hint = node.name;
    const x = this.valueAt(node, 0);
    const axes = this.attrInts(node, "squeeze_dims", this.attrInts(node, "axis", [])).map((a) =>
      a < 0 ? a + x.shape.length : a,
    );
    if (axes.length === 0) this.fail(node, "squeeze without explicit axes");
    const shape = x.shape.filter((_, i) => !axes.includes(i));
    return this.emit("Squeeze", [x.name, this.g.int64s(`${hint}/axes`, axes)], {}, hint, x.type, shape);
  }

  private expandDims(node: TfNode): Value {
    const hint = node.name;
    const x = this.valueAt(node, 0);
    const [axisRaw] = this.constInts(node, 1);
    if (axisRaw === undefined) this.fail(node, "no axis");
    const axis = axisRaw < 0 ? axisRaw + x.shape.length + 1 : axisRaw;
    const shape = [...x.shape];
    shape.splice(axis, 0, 1);
    return this.emit("Unsqueeze", [x.name, this.g.int64s(`${hint}/axes`, [axis])], {}, hint, x.type, shape);
  }

  private transpose(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    const perm = this.constInts(node, 1);
    return this.emit(
      "Transpose",
      [x.name],
      { perm: { ints: perm } },
      node.name,
      x.type,
      perm.map((p) => x.shape[p] as number),
    );
  }

  private pad(node: TfNode): Value {
    const g = this.g;
    const hint = node.name;
    const x = this.valueAt(node, 0);
    const p = this.constInts(node, 1);
    const rank = x.shape.length;
    if (p.length !== 2 * rank) this.fail(node, `paddings of ${p.length} values for rank ${rank}`);
    const begins = Array.from({ length: rank }, (_, i) => p[2 * i] as number);
    const ends = Array.from({ length: rank }, (_, i) => p[2 * i + 1] as number);
    const inputs = [x.name, g.int64s(`${hint}/pads`, [...begins, ...ends])];
    const attrs: Record<string, Attr> = {};
    if (node.op === "PadV2") {
      const c = this.constAt(node, 2);
      inputs.push(g.floats(`${hint}/value`, [], [Number(c.data[0] ?? 0)]));
    }
    if (node.op === "MirrorPad") {
      const mode = this.attrString(node, "mode");
      if (mode !== "REFLECT") this.fail(node, `MirrorPad mode ${mode}`);
      attrs.mode = { s: "reflect" };
    }
    const shape = x.shape.map((d, i) => (d < 0 ? -1 : d + (begins[i] as number) + (ends[i] as number)));
    return this.emit("Pad", inputs, attrs, hint, x.type, shape);
  }

  private concat(node: TfNode): Value {
    const n = this.dataInputCount(node) - 1;
    const [axisRaw] = this.constInts(node, n);
    const parts = Array.from({ length: n }, (_, i) => this.valueAt(node, i));
    const first = parts[0];
    if (!first || axisRaw === undefined) this.fail(node, "empty concat");
    const axis = axisRaw < 0 ? axisRaw + first.shape.length : axisRaw;
    const shape = [...first.shape];
    shape[axis] = parts.some((p) => (p.shape[axis] as number) < 0)
      ? -1
      : parts.reduce((a, p) => a + (p.shape[axis] as number), 0);
    return this.emit(
      "Concat",
      parts.map((p) => p.name),
      { axis },
      node.name,
      first.type,
      shape,
    );
  }

  private cast(node: TfNode): Value {
    const x = this.valueAt(node, 0);
    const dst = this.attr(node, "DstT")?.type;
    const to = dst === "DT_FLOAT" ? DataType.FLOAT : dst === "DT_INT32" ? DataType.INT32 : undefined;
    if (to === undefined) this.fail(node, `cast to ${dst}`);
    return this.emit("Cast", [x.name], { to }, node.name, to, x.shape);
  }

  /** Activation from a fused op list, applied in NCHW layout (Prelu's alpha reshaped to [C,1,1]). */
  private activation(node: TfNode, op: string | undefined, x: string, channels: number, extra: WeightTensor | undefined): string {
    const g = this.g;
    const hint = `${node.name}/act`;
    switch (op) {
      case undefined:
        return x;
      case "Relu":
        return g.node("Relu", [x], {}, hint);
      case "Relu6":
        return g.node("Clip", [x, g.floats(`${hint}/min`, [], [0]), g.floats(`${hint}/max`, [], [6])], {}, hint);
      case "Elu":
      case "Sigmoid":
      case "Tanh":
        return g.node(op, [x], {}, hint);
      case "LeakyRelu":
        return g.node("LeakyRelu", [x], { alpha: { f: this.attr(node, "leakyrelu_alpha")?.f ?? 0.2 } }, hint);
      case "Prelu": {
        if (extra?.dtype !== "float32") this.fail(node, "Prelu without a constant float alpha");
        const n = extra.data.length;
        const dims = n === channels ? [channels, 1, 1] : n === 1 ? [] : undefined;
        if (!dims) this.fail(node, `Prelu alpha of ${n} values for ${channels} channels`);
        return g.node("PRelu", [x, g.floats(`${hint}/alpha`, dims, extra.data)], {}, hint);
      }
      default:
        this.fail(node, `fused activation ${op}`);
    }
  }

  private fusedOps(node: TfNode): { bias: boolean; act: string | undefined } {
    const list = (this.attr(node, "fused_ops")?.list?.s ?? []).map(decodeS);
    let bias = false;
    let act: string | undefined;
    for (const op of list) {
      if (op === "BiasAdd") bias = true;
      else if (act === undefined) act = op;
      else this.fail(node, `fused ops ${list.join(",")}`);
    }
    if (act !== undefined && !bias && list[0] !== act) this.fail(node, `fused ops ${list.join(",")}`);
    return { bias, act };
  }

  private conv(node: TfNode): Value {
    const g = this.g;
    this.checkNhwc(node);
    const depthwise = node.op.includes("Depthwise");
    const fused = node.op.startsWith("_Fused") || node.op.startsWith("Fused");
    const x = this.valueAt(node, 0);
    const filt = this.constAt(node, 1);
    if (filt.dtype !== "float32" || filt.shape.length !== 4) this.fail(node, "filter must be a float32 rank-4 constant");
    const [kh, kw, cin, cm] = filt.shape as [number, number, number, number];
    const channelsIn = x.shape[3] as number;
    if (channelsIn >= 0 && channelsIn !== cin) this.fail(node, `filter expects ${cin} channels, input has ${channelsIn}`);
    const strides = this.attrInts(node, "strides", [1, 1, 1, 1]);
    const dil = this.attrInts(node, "dilations", [1, 1, 1, 1]);
    if (strides[0] !== 1 || strides[3] !== 1 || dil[0] !== 1 || dil[3] !== 1) this.fail(node, "stride or dilation on N or C");
    const [sh, sw] = [strides[1] as number, strides[2] as number];
    const [dh, dw] = [dil[1] as number, dil[2] as number];
    const padding = this.attrString(node, "padding");
    const attrs: Record<string, Attr> = {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: [sh, sw] },
      dilations: { ints: [dh, dw] },
    };
    let padH = 0;
    let padW = 0;
    if (padding === "SAME") attrs.auto_pad = { s: "SAME_UPPER" };
    else if (padding === "VALID") attrs.pads = { ints: [0, 0, 0, 0] };
    else if (padding === "EXPLICIT") {
      const e = this.attrInts(node, "explicit_paddings", []);
      if (e.length !== 8 || e[0] || e[1] || e[6] || e[7]) this.fail(node, `explicit_paddings [${e.join(",")}]`);
      attrs.pads = { ints: [e[2] as number, e[4] as number, e[3] as number, e[5] as number] };
      padH = (e[2] as number) + (e[3] as number);
      padW = (e[4] as number) + (e[5] as number);
    } else this.fail(node, `padding ${padding}`);

    let weight: { shape: number[]; data: Float32Array };
    let cout: number;
    if (depthwise) {
      // TF [kh,kw,C,M] -> ONNX [C*M,1,kh,kw], group C: output channel c*M+m is TF's output channel c*M+m.
      const t = transposeData(filt.data, filt.shape, [2, 3, 0, 1]);
      cout = cin * cm;
      weight = { shape: [cout, 1, kh, kw], data: t.data };
      attrs.group = cin;
    } else {
      weight = transposeData(filt.data, filt.shape, [3, 2, 0, 1]);
      cout = cm;
      attrs.group = 1;
    }
    const inputs = [
      g.node("Transpose", [x.name], { perm: { ints: NCHW } }, `${node.name}/to_nchw`),
      g.floats(`${node.name}/filter`, weight.shape, weight.data),
    ];
    let act: string | undefined;
    let extra: WeightTensor | undefined;
    if (fused) {
      const f = this.fusedOps(node);
      act = f.act;
      const numArgs = Number(this.attr(node, "num_args")?.i ?? 0);
      let next = 2;
      if (f.bias) {
        const b = this.constAt(node, next++);
        if (b.dtype !== "float32" || b.data.length !== cout) this.fail(node, "bias must be float32 of the output channels");
        inputs.push(g.floats(`${node.name}/bias`, [cout], b.data));
      }
      if (act === "Prelu") extra = this.constAt(node, next++);
      if (next - 2 !== numArgs) this.fail(node, `num_args ${numArgs} for fused ops with ${next - 2} extra inputs`);
    }
    let y = g.node("Conv", inputs, attrs, `${node.name}/conv`);
    y = this.activation(node, act, y, cout, extra);
    const out = g.node("Transpose", [y], { perm: { ints: NHWC } }, node.name);
    const shape = [
      x.shape[0] as number,
      convDim(x.shape[1] as number, kh, sh, dh, padding, padH),
      convDim(x.shape[2] as number, kw, sw, dw, padding, padW),
      cout,
    ];
    return { name: out, type: DataType.FLOAT, shape };
  }

  private pool(node: TfNode): Value {
    const g = this.g;
    this.checkNhwc(node);
    const x = this.valueAt(node, 0);
    const k = this.attrInts(node, "ksize", []);
    const s = this.attrInts(node, "strides", []);
    if (k.length !== 4 || s.length !== 4 || k[0] !== 1 || k[3] !== 1 || s[0] !== 1 || s[3] !== 1)
      this.fail(node, "ksize/strides on N or C");
    const padding = this.attrString(node, "padding");
    const attrs: Record<string, Attr> = {
      kernel_shape: { ints: [k[1] as number, k[2] as number] },
      strides: { ints: [s[1] as number, s[2] as number] },
    };
    if (padding === "SAME") attrs.auto_pad = { s: "SAME_UPPER" };
    else if (padding !== "VALID") this.fail(node, `padding ${padding}`);
    // AvgPool with SAME: TF averages over the valid pixels only, as ONNX's default count_include_pad=0 does.
    const t = g.node("Transpose", [x.name], { perm: { ints: NCHW } }, `${node.name}/to_nchw`);
    const p = g.node(node.op === "MaxPool" ? "MaxPool" : "AveragePool", [t], attrs, `${node.name}/pool`);
    const out = g.node("Transpose", [p], { perm: { ints: NHWC } }, node.name);
    const shape = [
      x.shape[0] as number,
      convDim(x.shape[1] as number, k[1] as number, s[1] as number, 1, padding, 0),
      convDim(x.shape[2] as number, k[2] as number, s[2] as number, 1, padding, 0),
      x.shape[3] as number,
    ];
    return { name: out, type: x.type, shape };
  }

  private reduce(node: TfNode): Value {
    const g = this.g;
    const x = this.valueAt(node, 0);
    const rank = x.shape.length;
    const axes = [...new Set(this.constInts(node, 1).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const keep = this.attr(node, "keep_dims")?.b === true;
    const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const op = `Reduce${node.op}`;
    if (node.op === "Sum") {
      // ReduceSum takes its axes as an input from opset 13 on; the others keep the attribute until opset 18.
      return this.emit(op, [x.name, g.int64s(`${node.name}/axes`, axes)], { keepdims: keep ? 1 : 0 }, node.name, x.type, shape);
    }
    return this.emit(op, [x.name], { axes: { ints: axes }, keepdims: keep ? 1 : 0 }, node.name, x.type, shape);
  }

  private matmul(node: TfNode): Value {
    const g = this.g;
    let a = this.valueAt(node, 0);
    const ta = this.attr(node, "transpose_a")?.b === true;
    const tb = this.attr(node, "transpose_b")?.b === true;
    if (a.shape.length !== 2) this.fail(node, "only rank-2 MatMul is handled");
    if (ta)
      a = this.emit("Transpose", [a.name], { perm: { ints: [1, 0] } }, `${node.name}/ta`, a.type, [
        a.shape[1] as number,
        a.shape[0] as number,
      ]);
    let bName: string;
    let n: number;
    const bNode = this.inputNode(node, 1);
    if (bNode.op === "Const") {
      const w = this.constAt(node, 1);
      if (w.dtype !== "float32" || w.shape.length !== 2) this.fail(node, "weights must be a float32 matrix");
      const m = tb ? transposeData(w.data, w.shape, [1, 0]) : { shape: w.shape, data: w.data };
      bName = g.floats(`${node.name}/weights`, m.shape, m.data);
      n = m.shape[1] as number;
    } else {
      let b = this.valueAt(node, 1);
      if (tb)
        b = this.emit("Transpose", [b.name], { perm: { ints: [1, 0] } }, `${node.name}/tb`, b.type, [
          b.shape[1] as number,
          b.shape[0] as number,
        ]);
      bName = b.name;
      n = b.shape[1] as number;
    }
    let y = g.node("MatMul", [a.name, bName], {}, node.op === "MatMul" ? node.name : `${node.name}/matmul`);
    if (node.op === "_FusedMatMul") {
      const f = this.fusedOps(node);
      const numArgs = Number(this.attr(node, "num_args")?.i ?? 0);
      let next = 2;
      if (f.bias) {
        const bias = this.constAt(node, next++);
        if (bias.dtype !== "float32" || bias.data.length !== n) this.fail(node, "bias must be float32 of the output width");
        y = g.node("Add", [y, g.floats(`${node.name}/bias`, [n], bias.data)], {}, `${node.name}/bias_add`);
      }
      let extra: WeightTensor | undefined;
      if (f.act === "Prelu") extra = this.constAt(node, next++);
      if (next - 2 !== numArgs) this.fail(node, `num_args ${numArgs} for fused ops with ${next - 2} extra inputs`);
      if (f.act === "Prelu") {
        if (extra?.dtype !== "float32") this.fail(node, "Prelu without a float alpha");
        y = g.node("PRelu", [y, g.floats(`${node.name}/alpha`, [extra.data.length], extra.data)], {}, `${node.name}/act`);
      } else {
        y = this.activation(node, f.act, y, n, undefined);
      }
    }
    return { name: y, type: DataType.FLOAT, shape: [a.shape[0] as number, n] };
  }
}

function stripPort(name: string): string {
  return name.replace(/:0$/, "");
}

/** Converts `model` (its weights already loaded into `weights`) to an ONNX ModelProto, opset 13. */
export function convertTfjsGraph(model: TfGraphModelJson, weights: WeightMap, spec: GraphConversionSpec): GraphConversionResult {
  if (model.format !== undefined && model.format !== "graph-model") {
    throw new ModelBuildError("unsupported", `${spec.graphName}: format ${model.format} is not a tfjs graph model`);
  }
  const c = new Converter(model, weights, spec);
  c.g.reserve(spec.inputName);
  for (const o of spec.outputs) c.g.reserve(o.onnx);
  const outputShapes: Record<string, number[]> = {};
  const nodes = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const produced: { value: Value; onnx: string }[] = [];
  for (const o of spec.outputs) {
    const node = nodes.get(stripPort(o.tf));
    if (!node) throw new ModelBuildError("config", `${spec.graphName}: output ${o.tf} is not a node of the graph`);
    produced.push({ value: c.convert(node), onnx: o.onnx });
  }
  for (const { value, onnx } of produced) {
    const named = c.g.nodeTo(onnx, "Identity", [value.name]);
    c.g.output(
      named,
      value.type,
      value.shape.map((d) => (d < 0 ? "N" : d)),
    );
    outputShapes[onnx] = value.shape;
  }
  if (c.inputShape.length === 0) throw new ModelBuildError("config", `${spec.graphName}: the outputs do not depend on the input`);
  const bytes = c.g.encode({
    opset: 13,
    producer: "persona-id/models",
    producerVersion: "1",
    docString: spec.docString,
    metadata: spec.metadata,
  });
  return { bytes, ops: c.ops, inputShape: c.inputShape, outputShapes };
}
