/**
 * A minimal protobuf reader/patcher for ONNX files, used to make BlazeFace's fixed-size graph size-agnostic
 * (`blazeface-back-dyn.onnx`, `makeDynamicInput`) and to give a batch-1 NCHW network the house NHWC RGB 0..255 input
 * with any batch (`fr_feature.onnx`, `makeNhwcImageInput`). It walks the wire format (varint + length-delimited fields) of ModelProto.graph only
 * as deep as needed and re-emits every field it does not change byte for byte, so weights and node attributes are
 * never decoded and re-encoded.
 *
 * Field numbers (onnx/onnx.proto): ModelProto.graph = 7, metadata_props = 14; GraphProto.node = 1, initializer = 5,
 * input = 11, output = 12, value_info = 13; NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5;
 * AttributeProto.name = 1, i = 3; TensorProto.dims = 1, data_type = 2, int64_data = 7, name = 8, raw_data = 9;
 * ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1, shape = 2;
 * TensorShapeProto.dim = 1; Dimension.dim_value = 1, dim_param = 2.
 */
import { ModelBuildError } from "./errors.ts";

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_I32 = 5;

/** One field of a message: its number, wire type, the whole encoded field (`raw`) and its payload. */
export interface WireField {
  readonly no: number;
  readonly wt: number;
  readonly raw: Uint8Array;
  /** Payload of a length-delimited field. */
  readonly bytes?: Uint8Array;
  /** Value of a varint field. */
  readonly varint?: bigint;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new ModelBuildError("weights", "protobuf: truncated varint");
    const b = buf[pos++] as number;
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [v, pos];
    shift += 7n;
    if (shift > 63n) throw new ModelBuildError("weights", "protobuf: varint too long");
  }
}

/** Splits a message into its fields (in file order). */
export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(tag >> 3n);
    const wt = Number(tag & 7n);
    if (wt === WT_VARINT) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ no, wt, raw: buf.subarray(start, pos), varint: v });
    } else if (wt === WT_LEN) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new ModelBuildError("weights", `protobuf: field ${no} runs past the end`);
      pos = end;
      out.push({ no, wt, raw: buf.subarray(start, end), bytes: buf.subarray(p2, end) });
    } else if (wt === WT_I64 || wt === WT_I32) {
      pos += wt === WT_I64 ? 8 : 4;
      if (pos > buf.length) throw new ModelBuildError("weights", `protobuf: field ${no} runs past the end`);
      out.push({ no, wt, raw: buf.subarray(start, pos) });
    } else {
      throw new ModelBuildError("weights", `protobuf: unsupported wire type ${wt} (field ${no})`);
    }
  }
  return out;
}

function encodeVarint(v: bigint | number): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function varintField(no: number, v: bigint | number): Uint8Array {
  return Uint8Array.from([...encodeVarint((no << 3) | WT_VARINT), ...encodeVarint(v)]);
}

export function lenField(no: number, payload: Uint8Array | string): Uint8Array {
  const p = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return concat([Uint8Array.from([...encodeVarint((no << 3) | WT_LEN), ...encodeVarint(p.length)]), p]);
}

const utf8 = new TextDecoder();
export function strings(fields: readonly WireField[], no: number): string[] {
  return fields.filter((f) => f.no === no && f.bytes).map((f) => utf8.decode(f.bytes));
}

export interface NodeInfo {
  inputs: string[];
  outputs: string[];
  opType: string;
  /** Integer attributes by name. */
  ints: Map<string, bigint>;
}

export function nodeInfo(bytes: Uint8Array): NodeInfo {
  const f = readFields(bytes);
  const ints = new Map<string, bigint>();
  for (const a of f.filter((x) => x.no === 5 && x.bytes)) {
    const af = readFields(a.bytes as Uint8Array);
    const name = strings(af, 1)[0];
    const i = af.find((x) => x.no === 3)?.varint;
    if (name !== undefined && i !== undefined) ints.set(name, BigInt.asIntN(64, i));
  }
  return { inputs: strings(f, 1), outputs: strings(f, 2), opType: strings(f, 4)[0] ?? "", ints };
}

interface TensorInfo {
  name: string;
  dims: bigint[];
  dataType: number;
  /** int64 values (from raw_data or int64_data), only for INT64 tensors. */
  int64: bigint[] | null;
}

function tensorInfo(bytes: Uint8Array): TensorInfo {
  const f = readFields(bytes);
  const dims = repeatedInt64(f, 1);
  const dataType = Number(f.find((x) => x.no === 2)?.varint ?? 0n);
  let int64: bigint[] | null = null;
  if (dataType === 7) {
    const raw = f.find((x) => x.no === 9)?.bytes;
    if (raw) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      int64 = [];
      for (let o = 0; o + 8 <= raw.length; o += 8) int64.push(view.getBigInt64(o, true));
    } else int64 = repeatedInt64(f, 7);
  }
  return { name: strings(f, 8)[0] ?? "", dims, dataType, int64 };
}

/** The values of repeated int64 field `no`, each one a varint or packed in one length-delimited field. */
function repeatedInt64(f: readonly WireField[], no: number): bigint[] {
  const out: bigint[] = [];
  for (const x of f.filter((y) => y.no === no)) {
    if (x.varint !== undefined) out.push(BigInt.asIntN(64, x.varint));
    else if (x.bytes) {
      // packed
      let p = 0;
      while (p < x.bytes.length) {
        const [v, q] = readVarint(x.bytes, p);
        out.push(BigInt.asIntN(64, v));
        p = q;
      }
    }
  }
  return out;
}

/** A TensorProto of int64 values (raw_data, little-endian). */
export function int64Tensor(name: string, values: readonly bigint[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => {
    view.setBigInt64(i * 8, v, true);
  });
  return concat([varintField(1, values.length), varintField(2, 7), lenField(8, name), lenField(9, raw)]);
}

export function nodeProto(n: {
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  opType: string;
  attrs?: readonly Uint8Array[];
}): Uint8Array {
  return concat([
    ...n.inputs.map((i) => lenField(1, i)),
    ...n.outputs.map((o) => lenField(2, o)),
    lenField(3, n.name),
    lenField(4, n.opType),
    ...(n.attrs ?? []).map((a) => lenField(5, a)),
  ]);
}

/** A ValueInfoProto of a tensor with the given element type and shape (numbers are dim_value, strings dim_param). */
export function valueInfoProto(name: string, elemType: number, shape: readonly (number | string)[]): Uint8Array {
  const dims = shape.map((d) => lenField(1, typeof d === "number" ? varintField(1, d) : lenField(2, d)));
  const tensorType = concat([varintField(1, elemType), lenField(2, concat(dims))]);
  return concat([lenField(1, name), lenField(2, lenField(1, tensorType))]);
}

/** Name, element type and shape of a ValueInfoProto (dims: number, string, or null when unset). */
export function readValueInfo(bytes: Uint8Array): { name: string; elemType: number; shape: (number | string | null)[] } {
  const f = readFields(bytes);
  const name = strings(f, 1)[0] ?? "";
  const type = f.find((x) => x.no === 2)?.bytes;
  const tt = type ? readFields(type).find((x) => x.no === 1)?.bytes : undefined;
  if (!tt) return { name, elemType: 0, shape: [] };
  const ttf = readFields(tt);
  const elemType = Number(ttf.find((x) => x.no === 1)?.varint ?? 0n);
  const shapeBytes = ttf.find((x) => x.no === 2)?.bytes;
  const shape = shapeBytes
    ? readFields(shapeBytes)
        .filter((x) => x.no === 1 && x.bytes)
        .map((d) => {
          const df = readFields(d.bytes as Uint8Array);
          const v = df.find((x) => x.no === 1)?.varint;
          if (v !== undefined) return Number(BigInt.asIntN(64, v));
          return strings(df, 2)[0] ?? null;
        })
    : [];
  return { name, elemType, shape };
}

/** The payload of ModelProto.graph. */
export function graphBytes(top: readonly WireField[]): Uint8Array {
  const graphField = top.find((f) => f.no === 7 && f.bytes);
  if (!graphField?.bytes) throw new ModelBuildError("weights", "ONNX: ModelProto has no graph");
  return graphField.bytes;
}

export interface GraphNode {
  field: WireField;
  info: NodeInfo;
}

export function graphNodes(gf: readonly WireField[]): GraphNode[] {
  return gf.filter((f) => f.no === 1).map((f) => ({ field: f, info: nodeInfo(f.bytes as Uint8Array) }));
}

/** The graph's initializers by name. */
function initializers(gf: readonly WireField[]): Map<string, TensorInfo> {
  const inits = new Map<string, TensorInfo>();
  for (const f of gf.filter((x) => x.no === 5)) {
    const info = tensorInfo(f.bytes as Uint8Array);
    inits.set(info.name, info);
  }
  return inits;
}

/** How many node inputs read each tensor. */
export function useCounts(nodes: readonly GraphNode[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.info.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return uses;
}

/** Every int64 initializer in use must have been handled by a rewrite. */
function requireInt64Handled(
  inits: ReadonlyMap<string, TensorInfo>,
  handledInt64: ReadonlySet<string>,
  uses: ReadonlyMap<string, number>,
): void {
  for (const [name, i] of inits) {
    // Unused initializers (tf2onnx leaves some) do not matter.
    if (i.dataType === 7 && !handledInt64.has(name) && (uses.get(name) ?? 0) > 0) {
      throw new ModelBuildError("unsupported", `int64 initializer ${name} [${i.int64?.join(",")}] is not handled`);
    }
  }
}

/** The model with its graph's fields replaced by `graph` and `metadata` appended as metadata_props. */
export function withGraph(
  top: readonly WireField[],
  graph: readonly Uint8Array[],
  metadata: Readonly<Record<string, string>> | undefined,
): Uint8Array {
  const meta = Object.entries(metadata ?? {}).map(([k, v]) => lenField(14, concat([lenField(1, k), lenField(2, v)])));
  const parts: Uint8Array[] = [];
  for (const f of top) parts.push(f.no === 7 ? lenField(7, concat(graph)) : f.raw);
  parts.push(...meta);
  return concat(parts);
}

export interface DynamicInputPatch {
  /** Symbolic shape of the (single) graph input, e.g. ["N", "H", "W", 3]. */
  inputShape: readonly (number | string)[];
  /** Symbolic shape of each graph output by name, e.g. { "Identity:0": ["N", "anchors16", 1] }. */
  outputShapes: Readonly<Record<string, readonly (number | string)[]>>;
  /** Extra ModelProto.metadata_props entries. */
  metadata?: Readonly<Record<string, string>>;
}

export interface PatchReport {
  /** Reshape targets rewritten: initializer name, old and new values. */
  reshapes: { name: string; from: number[]; to: number[] }[];
  /** ConstantOfShape + Concat(axis 1) channel paddings replaced by a Pad node: output name and channels added. */
  channelPads: { output: string; channels: number }[];
  /** value_info entries dropped. */
  droppedValueInfo: number;
}

/**
 * Makes a fixed-size NHWC detector graph size-agnostic, for graphs whose only size-dependent constants are
 * (a) the target shapes of the Reshape nodes that flatten each head [1, H*W*A, K] (rewritten [0, -1, K]: batch copied,
 * anchor count inferred) and (b) tf2onnx's lowering of TF `Pad` on the channel axis as
 * `Concat(x, ConstantOfShape([1, C, H, W]))` (replaced by an equivalent `Pad` with pads [0,0,0,0, 0,C,0,0]).
 * Any other int64 initializer, a ConstantOfShape that does not feed such a Concat, or a Reshape whose target is not
 * [1, n, k] is an error: the graph would not be size-agnostic and the caller must look at it.
 * value_info (shape hints for intermediate tensors) is dropped; input and outputs get the given symbolic shapes.
 */
export function makeDynamicInput(model: Uint8Array, patch: DynamicInputPatch): { bytes: Uint8Array; report: PatchReport } {
  const top = readFields(model);
  const gf = readFields(graphBytes(top));
  const nodes = graphNodes(gf);
  const inits = initializers(gf);
  const uses = useCounts(nodes);

  const report: PatchReport = { reshapes: [], channelPads: [], droppedValueInfo: 0 };
  const edits: DynamicEdits = { replacedInit: new Map(), replacedNode: new Map(), handledInt64: new Set() };
  const pass: DynamicPass = { nodes, inits, uses, edits, report };
  flexibleHeadReshapes(pass);
  channelPaddingsToPad(pass);
  requireInt64Handled(inits, edits.handledInt64, uses);

  const newGraph = rebuildDynamicGraph(gf, inits, edits, patch, report);
  return { bytes: withGraph(top, newGraph, patch.metadata), report };
}

/** What `makeDynamicInput` changes in the graph. */
interface DynamicEdits {
  /** name -> new TensorProto, or null to drop */
  replacedInit: Map<string, Uint8Array | null>;
  replacedNode: Map<WireField, Uint8Array | null>;
  handledInt64: Set<string>;
}

/** What a pass of `makeDynamicInput` reads (the graph's nodes, initializers and use counts) and writes. */
interface DynamicPass {
  nodes: readonly GraphNode[];
  inits: ReadonlyMap<string, TensorInfo>;
  uses: ReadonlyMap<string, number>;
  edits: DynamicEdits;
  report: PatchReport;
}

/** (a) Reshape targets: each head flattening [1, n, k] becomes [0, -1, k]. */
function flexibleHeadReshapes({ nodes, inits, uses, edits, report }: DynamicPass): void {
  for (const n of nodes.filter((x) => x.info.opType === "Reshape")) {
    const shapeName = n.info.inputs[1] ?? "";
    const v = inits.get(shapeName)?.int64;
    if (!v) throw new ModelBuildError("unsupported", `Reshape ${n.info.outputs[0]}: target shape is not an int64 initializer`);
    if (v.length !== 3 || v[0] !== 1n || (uses.get(shapeName) ?? 0) !== 1) {
      throw new ModelBuildError(
        "unsupported",
        `Reshape ${n.info.outputs[0]}: target [${v.join(",")}] is not a [1, n, k] head flattening used once`,
      );
    }
    const to = [0n, -1n, v[2] as bigint];
    edits.replacedInit.set(shapeName, int64Tensor(shapeName, to));
    edits.handledInt64.add(shapeName);
    report.reshapes.push({ name: shapeName, from: v.map(Number), to: to.map(Number) });
  }
}

/** (b) Channel padding: ConstantOfShape([1, C, H, W]) -> Concat(x, zeros, axis=1). */
function channelPaddingsToPad({ nodes, inits, uses, edits, report }: DynamicPass): void {
  let padCount = 0;
  for (const cos of nodes.filter((x) => x.info.opType === "ConstantOfShape")) {
    const shapeName = cos.info.inputs[0] ?? "";
    const shape = inits.get(shapeName)?.int64;
    const zeros = cos.info.outputs[0] ?? "";
    const consumers = nodes.filter((x) => x.info.inputs.includes(zeros));
    const concat0 = consumers[0];
    if (
      shape?.length !== 4 ||
      consumers.length !== 1 ||
      !concat0 ||
      concat0.info.opType !== "Concat" ||
      concat0.info.ints.get("axis") !== 1n ||
      concat0.info.inputs.length !== 2 ||
      concat0.info.inputs[1] !== zeros ||
      (uses.get(shapeName) ?? 0) !== 1 ||
      cos.field.bytes?.length === undefined ||
      readFields(cos.field.bytes).some((x) => x.no === 5) // a `value` attribute: not plain zeros
    ) {
      throw new ModelBuildError("unsupported", `ConstantOfShape ${zeros} is not a plain channel padding feeding Concat(axis=1)`);
    }
    const channels = shape[1] as bigint; // shape is [1, C, h, w] (checked above)
    const out = concat0.info.outputs[0] ?? "";
    const padsName = `persona_dyn_pads_${padCount++}`;
    edits.replacedInit.set(shapeName, null);
    edits.handledInt64.add(shapeName);
    edits.replacedNode.set(cos.field, null);
    edits.replacedNode.set(
      concat0.field,
      nodeProto({ inputs: [concat0.info.inputs[0] ?? "", padsName], outputs: [out], name: `${out}__pad`, opType: "Pad" }),
    );
    edits.replacedInit.set(padsName, int64Tensor(padsName, [0n, 0n, 0n, 0n, 0n, channels, 0n, 0n]));
    report.channelPads.push({ output: out, channels: Number(channels) });
  }
}

/** Rebuild the graph, field by field, in file order. */
function rebuildDynamicGraph(
  gf: readonly WireField[],
  inits: ReadonlyMap<string, TensorInfo>,
  edits: DynamicEdits,
  patch: DynamicInputPatch,
  report: PatchReport,
): Uint8Array[] {
  const { replacedInit, replacedNode } = edits;
  const newGraph: Uint8Array[] = [];
  const inputs = gf.filter((f) => f.no === 11);
  if (inputs.length !== 1) throw new ModelBuildError("unsupported", `expected 1 graph input, found ${inputs.length}`);
  let lastInit = -1;
  gf.forEach((f, i) => {
    if (f.no === 5) lastInit = i;
  });
  gf.forEach((f, idx) => {
    if (f.no === 1) {
      const r = replacedNode.get(f);
      if (r === undefined) newGraph.push(f.raw);
      else if (r !== null) newGraph.push(lenField(1, r));
    } else if (f.no === 5) {
      const name = tensorInfo(f.bytes as Uint8Array).name;
      const r = replacedInit.get(name);
      if (r === undefined) newGraph.push(f.raw);
      else if (r !== null) newGraph.push(lenField(5, r));
      if (idx === lastInit) {
        // New initializers (the Pad amounts) go after the last existing one.
        for (const [n, bytes] of replacedInit) if (bytes && !inits.has(n)) newGraph.push(lenField(5, bytes));
      }
    } else if (f.no === 11) {
      const vi = readValueInfo(f.bytes as Uint8Array);
      if (vi.shape.length !== patch.inputShape.length) {
        throw new ModelBuildError(
          "unsupported",
          `input ${vi.name} has rank ${vi.shape.length}, patch gives ${patch.inputShape.length}`,
        );
      }
      newGraph.push(lenField(11, valueInfoProto(vi.name, vi.elemType, patch.inputShape)));
    } else if (f.no === 12) {
      const vi = readValueInfo(f.bytes as Uint8Array);
      const shape = patch.outputShapes[vi.name];
      if (!shape) throw new ModelBuildError("config", `no symbolic shape given for output ${vi.name}`);
      newGraph.push(lenField(12, valueInfoProto(vi.name, vi.elemType, shape)));
    } else if (f.no === 13) {
      report.droppedValueInfo++;
    } else {
      newGraph.push(f.raw);
    }
  });
  if (lastInit < 0) throw new ModelBuildError("unsupported", "graph has no initializers");
  return newGraph;
}

/** A TensorProto of float32 values (raw_data, little-endian); `dims` [] for a scalar. */
export function float32Tensor(name: string, dims: readonly number[], values: readonly number[]): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return concat([...dims.map((d) => varintField(1, d)), varintField(2, 1), lenField(8, name), lenField(9, raw)]);
}

/** An AttributeProto of type INT (2) or INTS (7). */
export function intAttr(name: string, value: number | readonly number[]): Uint8Array {
  if (typeof value === "number") return concat([lenField(1, name), varintField(3, value), varintField(20, 2)]);
  return concat([lenField(1, name), ...value.map((v) => varintField(8, v)), varintField(20, 7)]);
}

export interface NhwcInputPatch {
  /** Name of the new graph input (it may be the original input's name: that name then moves to the NHWC tensor). */
  inputName: string;
  /** Shape of the new input [N, H, W, C]: N symbolic (any batch), H, W, C those of the original [1, C, H, W] input. */
  inputShape: readonly [string, number, number, number];
  /**
   * For each channel of the network's NCHW input, the channel of the NHWC input it takes: [2, 1, 0] feeds an RGB
   * image to a network trained on BGR. Default: the same order.
   */
  channelOrder?: readonly number[];
  /** The network's input is (pixel - mean) * scale. */
  mean: number;
  scale: number;
  /** New name and (symbolic) shape of each graph output, by its original name. */
  outputs: Readonly<Record<string, { readonly name: string; readonly shape: readonly (number | string)[] }>>;
  /** Extra ModelProto.metadata_props entries. */
  metadata?: Readonly<Record<string, string>>;
}

export interface NhwcInputReport {
  /** Op types of the nodes put in front of the network, in order. */
  added: string[];
  /** Nodes that read the original input and now read the preprocessed tensor. */
  rewired: number;
  /** Reshape targets whose batch 1 became 0 (batch copied from the input): initializer name, old and new values. */
  reshapes: { name: string; from: number[]; to: number[] }[];
  /** Graph outputs renamed. */
  outputs: { from: string; to: string }[];
  /** value_info entries dropped. */
  droppedValueInfo: number;
}

/** Prefix of the tensors and nodes `makeNhwcImageInput` adds. */
const PRE = "persona_pre_";

/**
 * Puts an image-preprocessing front end on a batch-1 NCHW network (a PyTorch export, say) so that it takes the house
 * input: NHWC float32 [N, H, W, C] pixels as they are (RGB 0..255). In front of the network:
 * `Transpose(perm 0,3,1,2)` -> `Gather(axis 1, channelOrder)` (only when the order changes) -> `Sub(mean)` ->
 * `Mul(scale)`, whose output replaces the original input in every node that read it. All of these are opset 1/7 ops,
 * so the opset header is kept (at least 7 is required for Sub/Mul broadcasting).
 *
 * For any batch: each Reshape target [1, ...] (the batch baked in by the export, e.g. `x.view(1, -1)`) becomes
 * [0, ...] (copy the batch); targets starting with 0 or -1 are kept. A Reshape whose target is not an int64
 * initializer, a target starting with anything else or shared by several nodes, any other int64 initializer in use,
 * or a `Constant` node is an error: the caller must look at such a graph. value_info is dropped; graph outputs are
 * renamed and given the symbolic shapes of `patch.outputs`. Every other field (weights, the network's nodes and
 * their attributes) is copied byte for byte.
 */
export function makeNhwcImageInput(model: Uint8Array, patch: NhwcInputPatch): { bytes: Uint8Array; report: NhwcInputReport } {
  const top = readFields(model);
  const graph = graphBytes(top);
  requireOpset7(top);
  const gf = readFields(graph);

  const nodes = graphNodes(gf);
  const inits = initializers(gf);
  const uses = useCounts(nodes);

  // The one real input (old IRs also list the initializers as inputs).
  const inputFields = gf.filter((f) => f.no === 11 && f.bytes);
  const real = inputFields.filter((f) => !inits.has(readValueInfo(f.bytes as Uint8Array).name));
  if (real.length !== 1) throw new ModelBuildError("unsupported", `expected 1 graph input, found ${real.length}`);
  const realInput = real[0] as WireField;
  const original = readValueInfo(realInput.bytes as Uint8Array);
  const [, h, w, c] = patch.inputShape;
  const [n0, c0, h0, w0] = original.shape;
  if (original.shape.length !== 4 || c0 !== c || h0 !== h || w0 !== w || (typeof n0 === "number" && n0 !== 1)) {
    throw new ModelBuildError(
      "unsupported",
      `input ${original.name} is [${original.shape.join(",")}], expected [1,${c},${h},${w}] (NCHW, batch 1)`,
    );
  }
  const order = patch.channelOrder ?? Array.from({ length: c }, (_, i) => i);
  if (order.length !== c || [...order].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new ModelBuildError("config", `channelOrder [${order.join(",")}] is not a permutation of ${c} channels`);
  }
  if (!Number.isFinite(patch.mean) || !Number.isFinite(patch.scale) || patch.scale === 0) {
    throw new ModelBuildError("config", `mean ${patch.mean} and scale ${patch.scale} must be finite, scale non-zero`);
  }

  // Every name in the graph, to keep the added ones (and the new input and output names) clear of them.
  const names = new Set<string>([...inits.keys()]);
  for (const n of nodes) for (const x of [...n.info.inputs, ...n.info.outputs]) names.add(x);
  const graphOutputs = gf.filter((f) => f.no === 12 && f.bytes).map((f) => readValueInfo(f.bytes as Uint8Array).name);
  for (const o of Object.keys(patch.outputs)) {
    if (!graphOutputs.includes(o)) throw new ModelBuildError("config", `the graph has no output ${o}`);
  }
  const rename = new Map<string, string>([[original.name, `${PRE}out`]]);
  for (const o of graphOutputs) {
    const to = patch.outputs[o]?.name;
    if (!to) throw new ModelBuildError("config", `no name and shape given for output ${o}`);
    if (to !== o) rename.set(o, to);
  }
  const taken = new Set(names);
  taken.delete(original.name);
  for (const o of rename.keys()) taken.delete(o);
  for (const x of [patch.inputName, ...rename.values(), `${PRE}nchw`, `${PRE}ordered`, `${PRE}centred`, `${PRE}channels`]) {
    if (taken.has(x)) throw new ModelBuildError("config", `tensor name ${x} is already used in the graph`);
    taken.add(x);
  }

  const report: NhwcInputReport = { added: [], rewired: 0, reshapes: [], outputs: [], droppedValueInfo: 0 };
  for (const n of nodes) {
    if (n.info.opType === "Constant") {
      throw new ModelBuildError("unsupported", `Constant node ${n.info.outputs[0]}: constants must be initializers`);
    }
  }

  // Reshape targets: batch 1 -> 0.
  const replacedInit = batchAgnosticReshapes(nodes, inits, uses, report);

  const { frontNodes, frontInits } = frontEnd(patch, order, report);
  for (const [from, to] of rename) if (from !== original.name) report.outputs.push({ from, to });

  const newGraph = rewriteGraph(gf, { rename, original, realInput, replacedInit, frontNodes, frontInits, patch, report });
  return { bytes: withGraph(top, newGraph, patch.metadata), report };
}

/** Sub/Mul broadcasting, which the front end relies on, needs ONNX opset 7 or later. */
function requireOpset7(top: WireField[]): void {
  for (const o of top.filter((f) => f.no === 8 && f.bytes)) {
    const of = readFields(o.bytes as Uint8Array);
    const domain = strings(of, 1)[0] ?? "";
    const version = Number(of.find((x) => x.no === 2)?.varint ?? 0n);
    if ((domain === "" || domain === "ai.onnx") && version < 7) {
      throw new ModelBuildError("unsupported", `opset ${version}: Sub/Mul broadcasting needs opset 7 or later`);
    }
  }
}

/**
 * New int64 targets for the Reshapes whose target bakes in the batch 1 ([1, ...] -> [0, ...]); every other int64
 * initializer in use is an error (see makeNhwcImageInput).
 */
function batchAgnosticReshapes(
  nodes: { info: ReturnType<typeof nodeInfo> }[],
  inits: Map<string, TensorInfo>,
  uses: Map<string, number>,
  report: NhwcInputReport,
): Map<string, Uint8Array> {
  const replacedInit = new Map<string, Uint8Array>();
  const handledInt64 = new Set<string>();
  for (const n of nodes.filter((x) => x.info.opType === "Reshape")) {
    const shapeName = n.info.inputs[1] ?? "";
    const v = inits.get(shapeName)?.int64;
    if (!v) throw new ModelBuildError("unsupported", `Reshape ${n.info.outputs[0]}: target shape is not an int64 initializer`);
    handledInt64.add(shapeName);
    if (v[0] === 0n || v[0] === -1n) continue;
    if (v[0] !== 1n || (uses.get(shapeName) ?? 0) !== 1) {
      throw new ModelBuildError(
        "unsupported",
        `Reshape ${n.info.outputs[0]}: target [${v.join(",")}] does not start with the batch 1 (or is shared)`,
      );
    }
    const to = [0n, ...v.slice(1)];
    replacedInit.set(shapeName, int64Tensor(shapeName, to));
    report.reshapes.push({ name: shapeName, from: v.map(Number), to: to.map(Number) });
  }
  requireInt64Handled(inits, handledInt64, uses);
  return replacedInit;
}

/** The front end's nodes and initializers: NHWC -> NCHW, the channel order, (x - mean) * scale. */
function frontEnd(
  patch: NhwcInputPatch,
  order: readonly number[],
  report: NhwcInputReport,
): { frontNodes: Uint8Array[]; frontInits: Uint8Array[] } {
  const frontNodes: Uint8Array[] = [];
  const frontInits: Uint8Array[] = [];
  const add = (opType: string, inputs: string[], out: string, attrs: Uint8Array[] = []) => {
    frontNodes.push(nodeProto({ inputs, outputs: [out], name: out, opType, attrs }));
    report.added.push(opType);
  };
  add("Transpose", [patch.inputName], `${PRE}nchw`, [intAttr("perm", [0, 3, 1, 2])]);
  let x = `${PRE}nchw`;
  if (order.some((v, i) => v !== i)) {
    frontInits.push(int64Tensor(`${PRE}channels`, order.map(BigInt)));
    add("Gather", [x, `${PRE}channels`], `${PRE}ordered`, [intAttr("axis", 1)]);
    x = `${PRE}ordered`;
  }
  frontInits.push(float32Tensor(`${PRE}mean`, [], [patch.mean]), float32Tensor(`${PRE}scale`, [], [patch.scale]));
  add("Sub", [x, `${PRE}mean`], `${PRE}centred`);
  add("Mul", [`${PRE}centred`, `${PRE}scale`], `${PRE}out`);
  return { frontNodes, frontInits };
}

/**
 * The graph's fields with the front end's nodes first and its initializers after the last one, the input and
 * outputs replaced, names renamed, patched Reshape targets swapped in and value_info dropped.
 */
function rewriteGraph(
  gf: WireField[],
  g: {
    rename: Map<string, string>;
    original: ReturnType<typeof readValueInfo>;
    realInput: WireField;
    replacedInit: Map<string, Uint8Array>;
    frontNodes: Uint8Array[];
    frontInits: Uint8Array[];
    patch: NhwcInputPatch;
    report: NhwcInputReport;
  },
): Uint8Array[] {
  const { rename, original, realInput, replacedInit, frontNodes, frontInits, patch, report } = g;
  /** A node with its input / output names renamed (every other field byte for byte), or null if none changes. */
  const renamed = (bytes: Uint8Array): Uint8Array | null => {
    let changed = false;
    let readsInput = false;
    const parts = readFields(bytes).map((f) => {
      if ((f.no === 1 || f.no === 2) && f.bytes) {
        const name = utf8.decode(f.bytes);
        const to = rename.get(name);
        if (to !== undefined) {
          changed = true;
          if (f.no === 1 && name === original.name) readsInput = true;
          return lenField(f.no, to);
        }
      }
      return f.raw;
    });
    if (readsInput) report.rewired++;
    return changed ? concat(parts) : null;
  };

  const newGraph: Uint8Array[] = [];
  let lastInit = -1;
  gf.forEach((f, i) => {
    if (f.no === 5) lastInit = i;
  });
  let frontDone = false;
  gf.forEach((f, idx) => {
    if (f.no === 1) {
      if (!frontDone) {
        newGraph.push(...frontNodes.map((b) => lenField(1, b)));
        frontDone = true;
      }
      const r = renamed(f.bytes as Uint8Array);
      newGraph.push(r ? lenField(1, r) : f.raw);
    } else if (f.no === 5) {
      const name = tensorInfo(f.bytes as Uint8Array).name;
      const r = replacedInit.get(name);
      newGraph.push(r ? lenField(5, r) : f.raw);
      if (idx === lastInit) newGraph.push(...frontInits.map((b) => lenField(5, b)));
    } else if (f === realInput) {
      newGraph.push(lenField(11, valueInfoProto(patch.inputName, original.elemType, patch.inputShape)));
    } else if (f.no === 12) {
      const vi = readValueInfo(f.bytes as Uint8Array);
      const o = patch.outputs[vi.name] as { name: string; shape: readonly (number | string)[] };
      newGraph.push(lenField(12, valueInfoProto(o.name, vi.elemType, o.shape)));
    } else if (f.no === 13) {
      report.droppedValueInfo++;
    } else {
      newGraph.push(f.raw);
    }
  });
  if (!frontDone) throw new ModelBuildError("unsupported", "graph has no nodes");
  if (lastInit < 0) newGraph.push(...frontInits.map((b) => lenField(5, b)));

  return newGraph;
}
