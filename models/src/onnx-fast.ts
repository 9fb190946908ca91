/**
 * Exact speed-ups of a MobileFaceNet-style graph (fr_feature), applied at the wire level after `makeNhwcImageInput`:
 *
 * 1. **PRelu as Relu, Sub, Mul, Add.** onnxruntime runs PRelu with a per-channel slope through its generic broadcast
 *    path and outside its blocked (NCHWc) layout, so on one thread (a one-off profile) the network spent about as
 *    long in its PRelus as in its convolutions, plus layout reorders around each. `PRelu(x, s) = Relu(x) + s * (x - Relu(x))` gives the
 *    same values bit for bit (x > 0: x + s * 0; x < 0: 0 + s * x) with ops that stay in the blocked layout: about
 *    half the time per face (models/README.md has the numbers).
 * 2. **Dead channels removed.** The network was pruned in training: of the 3,520 inner channels of its
 *    expand -> depthwise -> project blocks, about a third have all-zero weights and a bias below 1e-18 (batch norm
 *    folded over a zeroed channel). Such a channel is zero (or, when only the expansion is dead, the depthwise bias:
 *    a constant) everywhere, so it is cut from the expansion conv, both PRelu slopes and the depthwise conv, and its
 *    constant folded into the 1x1 projection's bias. What is cut contributed less than 1e-18 per value.
 *
 * Every other field (the other weights, node attributes, metadata) is copied byte for byte.
 */
import { ModelBuildError } from "./errors.ts";
import {
  concat,
  type GraphNode,
  float32Tensor,
  graphBytes,
  graphNodes,
  intAttr,
  lenField,
  nodeProto,
  readFields,
  readValueInfo,
  strings,
  useCounts,
  valueInfoProto,
  type WireField,
  withGraph,
} from "./onnx-patch.ts";

/** A bias at most this large on a channel whose weights are all zero marks the channel dead. */
export const DEAD_BIAS = 1e-18;

export interface FastConvNetReport {
  /** PRelu nodes rewritten as Relu, Sub, Mul, Add. */
  prelus: number;
  /** Expand -> depthwise -> project blocks looked at, and their inner channels before and after. */
  blocks: number;
  channelsBefore: number;
  channelsAfter: number;
  /** Dead-expansion channels whose constant depthwise output went into the projection's bias. */
  folded: number;
}

interface FloatInit {
  readonly dims: number[];
  readonly values: Float32Array;
}

/** dims and float32 values of an initializer (raw_data or float_data), or null for another type. */
function readFloatInit(bytes: Uint8Array): FloatInit | null {
  const f = readFields(bytes);
  if (Number(f.find((x) => x.no === 2)?.varint ?? 0n) !== 1) return null;
  const dims: number[] = [];
  for (const x of f.filter((y) => y.no === 1)) {
    if (x.varint !== undefined) dims.push(Number(x.varint));
    else return null; // packed dims: not written by the exporters we read
  }
  const raw = f.find((x) => x.no === 9)?.bytes;
  const packed = f.find((x) => x.no === 4)?.bytes;
  const src = raw ?? packed;
  if (!src) return null;
  const values = new Float32Array(src.length / 4);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return { dims, values };
}

const intOf = (n: GraphNode, name: string): bigint | undefined => n.info.ints.get(name);

/** Rewrites PRelu and removes dead channels; see the file comment. */
export function fastConvNet(
  model: Uint8Array,
  metadata?: Readonly<Record<string, string>>,
): { bytes: Uint8Array; report: FastConvNetReport } {
  const top = readFields(model);
  const gf = readFields(graphBytes(top));
  const nodes = graphNodes(gf);
  const uses = useCounts(nodes);
  const inits = new Map<string, FloatInit>();
  for (const f of gf.filter((x) => x.no === 5 && x.bytes)) {
    const name = strings(readFields(f.bytes as Uint8Array), 8)[0] ?? "";
    const t = readFloatInit(f.bytes as Uint8Array);
    if (t) inits.set(name, t);
  }
  const producer = new Map<string, GraphNode>();
  const readers = new Map<string, GraphNode[]>();
  for (const n of nodes) {
    for (const o of n.info.outputs) producer.set(o, n);
    for (const i of n.info.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const report: FastConvNetReport = { prelus: 0, blocks: 0, channelsBefore: 0, channelsAfter: 0, folded: 0 };
  const newInits = new Map<string, FloatInit>();
  const newGroup = new Map<GraphNode, number>();
  for (const d of nodes) pruneBlock(d, { inits, uses, producer, readers, newInits, newGroup, report });

  const names = new Set<string>();
  for (const n of nodes) for (const x of [...n.info.inputs, ...n.info.outputs]) names.add(x);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };
  const graph: Uint8Array[] = [];
  const nodeOf = new Map(nodes.map((n) => [n.field, n]));
  for (const f of gf) {
    const n = nodeOf.get(f);
    if (n?.info.opType === "PRelu") {
      graph.push(...preluAsRelu(n, fresh).map((b) => lenField(1, b)));
      report.prelus++;
    } else if (n && newGroup.has(n)) {
      graph.push(lenField(1, withIntAttr(n.field, "group", newGroup.get(n) as number)));
    } else if (f.no === 5 && f.bytes) {
      const name = strings(readFields(f.bytes), 8)[0] ?? "";
      const t = newInits.get(name);
      graph.push(t ? lenField(5, float32Tensor(name, t.dims, Array.from(t.values))) : f.raw);
    } else if (f.no === 11 && f.bytes && newInits.has(readValueInfo(f.bytes).name)) {
      // Old IRs list initializers as inputs (with their shapes): give a cut one its new shape.
      const name = readValueInfo(f.bytes).name;
      graph.push(lenField(11, valueInfoProto(name, 1, (newInits.get(name) as FloatInit).dims)));
    } else if (f.no !== 13) graph.push(f.raw); // value_info (inferred shapes, some now wrong) is dropped
  }
  return { bytes: withGraph(top, graph, metadata), report };
}

/** `PRelu(x, s) -> y` as `Relu(x) -> p; Sub(x, p) -> m; Mul(m, s) -> ms; Add(p, ms) -> y`. */
function preluAsRelu(n: GraphNode, fresh: (base: string) => string): Uint8Array[] {
  const [x, s] = n.info.inputs;
  const [y] = n.info.outputs;
  if (!x || !s || !y) throw new ModelBuildError("unsupported", "PRelu without its two inputs and one output");
  const p = fresh(`${y}/pos`);
  const m = fresh(`${y}/neg`);
  const ms = fresh(`${y}/neg_scaled`);
  return [
    nodeProto({ inputs: [x], outputs: [p], name: p, opType: "Relu" }),
    nodeProto({ inputs: [x, p], outputs: [m], name: m, opType: "Sub" }),
    nodeProto({ inputs: [m, s], outputs: [ms], name: ms, opType: "Mul" }),
    nodeProto({ inputs: [p, ms], outputs: [y], name: fresh(`${y}/prelu`), opType: "Add" }),
  ];
}

/** The node's bytes with integer attribute `name` set to `value` (every other field byte for byte). */
function withIntAttr(field: WireField, name: string, value: number): Uint8Array {
  const parts = readFields(field.bytes as Uint8Array).map((f) => {
    if (f.no === 5 && f.bytes && strings(readFields(f.bytes), 1)[0] === name) return lenField(5, intAttr(name, value));
    return f.raw;
  });
  return concat(parts);
}

interface PruneContext {
  inits: ReadonlyMap<string, FloatInit>;
  uses: ReadonlyMap<string, number>;
  producer: ReadonlyMap<string, GraphNode>;
  readers: ReadonlyMap<string, GraphNode[]>;
  newInits: Map<string, FloatInit>;
  newGroup: Map<GraphNode, number>;
  report: FastConvNetReport;
}

/** The one consumer of tensor `t` if it has exactly one and it is an `op`. */
function only(c: PruneContext, t: string | undefined, op: string): GraphNode | null {
  const list = t === undefined ? undefined : c.readers.get(t);
  return list?.length === 1 && list[0]?.info.opType === op ? list[0] : null;
}

/** Initializer `name` as an earlier block left it (a 1x1 conv is one block's projection and the next one's expansion). */
function current(c: PruneContext, name: string | undefined): FloatInit | undefined {
  return name === undefined ? undefined : (c.newInits.get(name) ?? c.inits.get(name));
}

/** Initializer `name` if exactly one node input reads it and it has `count` values. */
function own(c: PruneContext, name: string | undefined, count: number): FloatInit | null {
  const t = current(c, name);
  return t && c.uses.get(name as string) === 1 && t.values.length === count ? t : null;
}

/**
 * If `d` is the depthwise conv of an `E (conv) -> PRelu -> d -> PRelu -> P (1x1 conv)` block whose tensors and
 * weights nobody else reads, records the block's weights without its dead channels.
 */
function pruneBlock(d: GraphNode, c: PruneContext): void {
  if (d.info.opType !== "Conv" || d.info.inputs.length !== 3) return;
  const pe = c.producer.get(d.info.inputs[0] as string);
  const e = pe?.info.opType === "PRelu" ? c.producer.get(pe.info.inputs[0] as string) : undefined;
  const pd = only(c, d.info.outputs[0], "PRelu");
  const p = only(c, pd?.info.outputs[0], "Conv");
  if (!pe || !e || !pd || !p || e.info.opType !== "Conv" || e.info.inputs.length !== 3 || p.info.inputs.length !== 3) return;
  if (only(c, e.info.outputs[0], "PRelu") !== pe || only(c, pe.info.outputs[0], "Conv") !== d) return;
  const wd = current(c, d.info.inputs[1]);
  const ch = wd?.dims[0] ?? 0;
  // depthwise: one input channel per group, as many groups as channels
  if (wd?.dims[1] !== 1 || Number(intOf(d, "group") ?? 1n) !== ch || ch === 0) return;
  const sized = (name: string | undefined) => own(c, name, current(c, name)?.values.length ?? -1);
  const we = sized(e.info.inputs[1]);
  const wp = sized(p.info.inputs[1]);
  const [be, bd, se, sd] = [e.info.inputs[2], d.info.inputs[2], pe.info.inputs[1], pd.info.inputs[1]].map((n) => own(c, n, ch));
  const bp = wp ? own(c, p.info.inputs[2], wp.dims[0] ?? -1) : null;
  const eGroups = Number(intOf(e, "group") ?? 1n);
  if (!we || !wp || !be || !bd || !se || !sd || !bp || we.dims[0] !== ch || eGroups !== 1) return;
  if (sized(d.info.inputs[1]) === null) return;
  // the projection must be a plain 1x1 conv over the `ch` channels (a constant channel then folds exactly)
  if (
    wp.dims.length !== 4 ||
    wp.dims[1] !== ch ||
    wp.dims[2] !== 1 ||
    wp.dims[3] !== 1 ||
    Number(intOf(p, "group") ?? 1n) !== 1
  ) {
    return;
  }
  const dead = (w: FloatInit, b: FloatInit, k: number) => {
    const per = w.values.length / ch;
    for (let i = k * per; i < (k + 1) * per; i++) if (w.values[i] !== 0) return false;
    return Math.abs(b.values[k] as number) <= DEAD_BIAS;
  };
  const keep: number[] = [];
  const bias = Float32Array.from(bp.values);
  const outs = wp.dims[0] as number;
  for (let k = 0; k < ch; k++) {
    const deadD = dead(wd, bd, k);
    const deadE = dead(we, be, k);
    if (!deadD && !deadE) {
      keep.push(k);
      continue;
    }
    if (deadD) continue; // the depthwise output is zero: nothing to fold
    // E dead, D alive: D's output is its bias everywhere; after PRelu a constant the projection folds into its bias.
    const b = bd.values[k] as number;
    const v = b > 0 ? b : (sd.values[k] as number) * b;
    for (let o = 0; o < outs; o++) bias[o] = (bias[o] as number) + (wp.values[o * ch + k] as number) * v;
    c.report.folded++;
  }
  c.report.blocks++;
  c.report.channelsBefore += ch;
  c.report.channelsAfter += keep.length;
  if (keep.length === ch) return;
  if (keep.length === 0) throw new ModelBuildError("unsupported", `conv ${d.info.outputs[0]}: every channel is dead`);
  const rows = (t: FloatInit): FloatInit => {
    const per = t.values.length / ch;
    const values = new Float32Array(keep.length * per);
    keep.forEach((k, i) => {
      values.set(t.values.subarray(k * per, (k + 1) * per), i * per);
    });
    return { dims: [keep.length, ...t.dims.slice(1)], values };
  };
  const cols: FloatInit = {
    dims: [outs, keep.length, 1, 1],
    values: Float32Array.from(
      { length: outs * keep.length },
      (_, i) => wp.values[Math.floor(i / keep.length) * ch + (keep[i % keep.length] as number)] as number,
    ),
  };
  const set = (name: string | undefined, t: FloatInit) => c.newInits.set(name as string, t);
  set(e.info.inputs[1], rows(we));
  set(e.info.inputs[2], rows(be));
  set(pe.info.inputs[1], rows(se));
  set(d.info.inputs[1], rows(wd));
  set(d.info.inputs[2], rows(bd));
  set(pd.info.inputs[1], rows(sd));
  set(p.info.inputs[1], cols);
  set(p.info.inputs[2], { dims: bp.dims, values: bias });
  c.newGroup.set(d, keep.length);
}
