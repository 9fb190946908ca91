/**
 * A minimal ONNX writer: the subset of onnx.proto (IR version 8) needed to write an inference graph, and a small
 * graph builder on top of it. Names and field numbers are those of onnx/onnx.proto; only the messages and fields
 * written here are declared (checked with onnx.checker.check_model(full_check=True) during development).
 */
import { endianness } from "node:os";
import protobuf from "protobufjs";

/** What is wrong with a graph being written. */
export type OnnxGraphErrorCode =
  /** a name used twice, an attribute of the wrong kind, a model that does not verify, a big-endian host */
  | "config"
  /** a constant whose dims do not match its values */
  | "weights";

/** Thrown by `GraphBuilder` (models/build.ts reports it as a ModelBuildError of the same code). */
export class OnnxGraphError extends Error {
  override readonly name = "OnnxGraphError";
  readonly code: OnnxGraphErrorCode;
  constructor(code: OnnxGraphErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  optional string doc_string = 13;
  optional AttributeType type = 20;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
  optional string doc_string = 12;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}
`;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** An attribute value: a plain number is an INT, use `{ f }` for a FLOAT. */
export type Attr = number | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

export type Dim = number | string;

/** A constant tensor to become an initializer. */
export type ConstTensor =
  | { type: "float32"; dims: readonly number[]; data: Float32Array }
  | { type: "int64"; dims: readonly number[]; data: BigInt64Array }
  | { type: "int32"; dims: readonly number[]; data: Int32Array };

interface NodeJson {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: Record<string, unknown>[];
}

interface ValueInfoJson {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

let cachedRoot: protobuf.Root | undefined;
function root(): protobuf.Root {
  cachedRoot ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return cachedRoot;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  // Copy so the result never aliases a larger pooled buffer.
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function attrJson(name: string, value: Attr): Record<string, unknown> {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new OnnxGraphError("config", `attribute ${name}: ${value} is not an integer; use { f }`);
    return { name, type: AttrType.INT, i: value };
  }
  if ("f" in value) return { name, type: AttrType.FLOAT, f: value.f };
  if ("s" in value) return { name, type: AttrType.STRING, s: Buffer.from(value.s, "utf8") };
  if ("ints" in value) return { name, type: AttrType.INTS, ints: [...value.ints] };
  return { name, type: AttrType.FLOATS, floats: [...value.floats] };
}

function valueInfo(name: string, elemType: DataTypeCode, shape: readonly Dim[]): ValueInfoJson {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** Builds one ONNX graph node by node. Names are made unique; every method returns the name it actually used. */
export class GraphBuilder {
  private readonly used = new Set<string>();
  private readonly reserved = new Set<string>();
  private readonly nodes: NodeJson[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private readonly inputs: ValueInfoJson[] = [];
  private readonly outputs: ValueInfoJson[] = [];
  private nodeCount = 0;

  constructor(readonly graphName: string) {}

  /** A fresh tensor name derived from `hint`. */
  unique(hint: string): string {
    const base = hint.replace(/:0$/, "") || "t";
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}__${i}`;
    this.used.add(name);
    return name;
  }

  /** Keeps `name` for a later `input` or `nodeTo`, so that no generated name takes it first. */
  reserve(name: string): void {
    if (this.used.has(name)) throw new OnnxGraphError("config", `tensor name ${name} is already used`);
    this.used.add(name);
    this.reserved.add(name);
  }

  private claim(name: string): void {
    if (this.reserved.delete(name)) return;
    if (this.used.has(name)) throw new OnnxGraphError("config", `tensor name ${name} is already used`);
    this.used.add(name);
  }

  input(name: string, elemType: DataTypeCode, shape: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Declares `tensor` a graph output, under its own name (it must have been produced by a node or be an input). */
  output(tensor: string, elemType: DataTypeCode, shape: readonly Dim[]): void {
    this.outputs.push(valueInfo(tensor, elemType, shape));
  }

  constant(hint: string, tensor: ConstTensor): string {
    if (elementCount(tensor.dims) !== tensor.data.length) {
      throw new OnnxGraphError(
        "weights",
        `constant ${hint}: dims [${tensor.dims.join(",")}] do not match ${tensor.data.length} values`,
      );
    }
    const name = this.unique(hint);
    const dataType = tensor.type === "float32" ? DataType.FLOAT : tensor.type === "int64" ? DataType.INT64 : DataType.INT32;
    this.initializers.push({ name, dims: [...tensor.dims], data_type: dataType, raw_data: bytesOf(tensor.data) });
    return name;
  }

  floats(hint: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    return this.constant(hint, { type: "float32", dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
  }

  int64s(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(hint, { type: "int64", dims, data: BigInt64Array.from(values, (v) => BigInt(v)) });
  }

  /** Adds a node with one output, named from `outHint` (default: the op type), and returns that output's name. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outHint?: string): string {
    return this.push(this.unique(outHint ?? opType.toLowerCase()), opType, inputs, attrs);
  }

  /** Adds a node whose output gets exactly the name `out` (unused, or reserved with `reserve`). */
  nodeTo(out: string, opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    this.claim(out);
    return this.push(out, opType, inputs, attrs);
  }

  private push(out: string, opType: string, inputs: readonly string[], attrs: Record<string, Attr>): string {
    this.nodes.push({
      input: [...inputs],
      output: [out],
      name: `${opType}_${this.nodeCount++}`,
      op_type: opType,
      attribute: Object.entries(attrs).map(([k, v]) => attrJson(k, v)),
    });
    return out;
  }

  /** Encodes the graph as a ModelProto (opset `opset` of the default domain). */
  encode(meta: {
    opset: number;
    producer: string;
    producerVersion: string;
    docString: string;
    metadata: Record<string, string>;
  }): Uint8Array {
    if (endianness() !== "LE")
      throw new OnnxGraphError("config", "raw_data is written in host byte order: a little-endian host is required");
    const Model = root().lookupType("onnx.ModelProto");
    const model = {
      ir_version: 8,
      producer_name: meta.producer,
      producer_version: meta.producerVersion,
      model_version: 1,
      doc_string: meta.docString,
      opset_import: [{ domain: "", version: meta.opset }],
      metadata_props: Object.entries(meta.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    const problem = Model.verify(model);
    if (problem) throw new OnnxGraphError("config", `ModelProto does not verify: ${problem}`);
    return Model.encode(Model.fromObject(model)).finish();
  }
}
