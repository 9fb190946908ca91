/**
 * Reads TensorFlow.js weight manifests (`weightsManifest` of a model.json, or a face-api `*-weights_manifest.json`)
 * and their binary shards, dequantizing exactly as @tensorflow/tfjs-core's `decodeWeights` does:
 * uint8/uint16 -> `q * scale + min` (computed in double, stored as float32), float16 -> IEEE half to float32.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelBuildError } from "./errors.ts";

export interface WeightQuantization {
  dtype: "uint8" | "uint16" | "float16";
  scale?: number;
  min?: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: WeightQuantization;
}

export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

export type WeightTensor =
  | { dtype: "float32"; shape: number[]; data: Float32Array }
  | { dtype: "int32"; shape: number[]; data: Int32Array };

export type WeightMap = Map<string, WeightTensor>;

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** IEEE 754 binary16 -> number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decodeOne(spec: WeightSpec, bytes: Uint8Array): WeightTensor {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const shape = [...spec.shape];
  const q = spec.quantization;
  if (!q) {
    const copy = new Uint8Array(bytes); // a copy (Buffer#slice would alias), aligned at offset 0
    if (spec.dtype === "float32") return { dtype: "float32", shape, data: new Float32Array(copy.buffer, 0, count) };
    if (spec.dtype === "int32") return { dtype: "int32", shape, data: new Int32Array(copy.buffer, 0, count) };
    throw new ModelBuildError("unsupported", `weight ${spec.name}: dtype ${spec.dtype} is not supported`);
  }
  const copy = new Uint8Array(bytes); // a copy (Buffer#slice would alias), aligned at offset 0
  if (q.dtype === "float16") {
    if (spec.dtype !== "float32")
      throw new ModelBuildError("unsupported", `weight ${spec.name}: float16 quantization of ${spec.dtype}`);
    const halves = new Uint16Array(copy.buffer, 0, count);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = halfToFloat(halves[i] as number);
    return { dtype: "float32", shape, data };
  }
  if (q.scale === undefined || q.min === undefined) {
    throw new ModelBuildError("weights", `weight ${spec.name}: ${q.dtype} quantization without scale/min`);
  }
  const quantized = q.dtype === "uint8" ? new Uint8Array(copy.buffer, 0, count) : new Uint16Array(copy.buffer, 0, count);
  const { scale, min } = q;
  if (spec.dtype === "float32") {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = (quantized[i] as number) * scale + min;
    return { dtype: "float32", shape, data };
  }
  if (spec.dtype === "int32") {
    const data = new Int32Array(count);
    for (let i = 0; i < count; i++) data[i] = Math.round((quantized[i] as number) * scale + min);
    return { dtype: "int32", shape, data };
  }
  throw new ModelBuildError("unsupported", `weight ${spec.name}: ${q.dtype} quantization of ${spec.dtype}`);
}

/** Loads every weight of `groups`, whose shard paths are relative to `dir`. */
export async function loadWeights(dir: string, groups: readonly WeightGroup[]): Promise<WeightMap> {
  const out: WeightMap = new Map();
  for (const group of groups) {
    let buffer: Buffer;
    try {
      buffer = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dir, p)))));
    } catch (cause) {
      throw new ModelBuildError("weights", `cannot read weight shards ${group.paths.join(", ")} in ${dir}`, { cause });
    }
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const unit = BYTES[spec.quantization?.dtype ?? spec.dtype];
      if (unit === undefined)
        throw new ModelBuildError("unsupported", `weight ${spec.name}: dtype ${spec.dtype} is not supported`);
      const size = count * unit;
      if (offset + size > buffer.length) {
        throw new ModelBuildError("weights", `weight ${spec.name} runs past the end of shards ${group.paths.join(", ")}`);
      }
      if (out.has(spec.name)) throw new ModelBuildError("weights", `weight ${spec.name} appears twice`);
      out.set(spec.name, decodeOne(spec, buffer.subarray(offset, offset + size)));
      offset += size;
    }
    if (offset !== buffer.length) {
      throw new ModelBuildError(
        "weights",
        `shards ${group.paths.join(", ")}: ${buffer.length - offset} bytes left after the last weight`,
      );
    }
  }
  return out;
}

/** The float32 weight `name`, with the expected rank. */
export function floatWeight(map: WeightMap, name: string, rank?: number): { shape: number[]; data: Float32Array } {
  const w = map.get(name);
  if (!w) throw new ModelBuildError("weights", `weight ${name} is missing`);
  if (w.dtype !== "float32") throw new ModelBuildError("weights", `weight ${name} is ${w.dtype}, expected float32`);
  if (rank !== undefined && w.shape.length !== rank) {
    throw new ModelBuildError("weights", `weight ${name} has shape [${w.shape.join(",")}], expected rank ${rank}`);
  }
  return w;
}

/** Transposes a dense row-major tensor. */
export function transposeData<T extends Float32Array | Int32Array>(
  data: T,
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; data: T } {
  const rank = shape.length;
  if (perm.length !== rank) throw new ModelBuildError("config", `transpose: perm [${perm.join(",")}] for rank ${rank}`);
  const outShape = perm.map((p) => shape[p] as number);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const strideForOut = perm.map((p) => inStrides[p] as number);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (idx[d] as number) * (strideForOut[d] as number);
    out[o] = data[src] as number;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (outShape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return { shape: outShape, data: out };
}
