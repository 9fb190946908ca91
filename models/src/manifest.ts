/** models/manifest.json: what each produced ONNX file expects and gives, and its sha256. */
import { writeFile } from "node:fs/promises";
import { ModelBuildError } from "./errors.ts";
import { readJsonFile } from "./json-file.ts";

export interface TensorSpec {
  name: string;
  /** "N" = any batch size. */
  shape: (number | string)[];
  dtype: "float32";
  description: string;
}

export interface InputSpec extends TensorSpec {
  layout: "NHWC";
  channels: "RGB";
  /** Value range of the pixels the model expects: [0, 255] or [-1, 1]. */
  range: [number, number];
  preprocess: string;
}

export interface ModelEntry {
  file: string;
  task: "face-detection" | "face-embedding";
  source: { package: string; version: string; files: string[] };
  license: string;
  input: InputSpec;
  outputs: TensorSpec[];
  notes?: string;
  /** sha256 (hex) of the produced file; rewritten by `build.ts --update-manifest`. */
  sha256: string;
  bytes: number;
}

export interface Manifest {
  schema: 1;
  opset: number;
  models: Record<string, ModelEntry>;
}

export async function readManifest(path: string): Promise<Manifest> {
  const parsed = await readJsonFile(path, "config");
  const m = parsed as Partial<Manifest>;
  if (m.schema !== 1 || typeof m.models !== "object" || m.models === null) {
    throw new ModelBuildError("config", `${path}: expected { schema: 1, models: {...} }`);
  }
  for (const [id, e] of Object.entries(m.models)) {
    if (typeof e.file !== "string" || typeof e.sha256 !== "string" || !e.input || !Array.isArray(e.outputs)) {
      throw new ModelBuildError("config", `${path}: model ${id} needs file, sha256, input and outputs`);
    }
  }
  return m as Manifest;
}

/** JSON with 2-space indentation, arrays of numbers and short strings kept on one line. */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return text.replace(/\[\n(?:\s*(?:-?[\d.eE+-]+|"(?:[^"\\\n]|\\.)*"),?\n)+\s*\]/g, (block) => {
    const items = JSON.parse(block) as unknown[];
    const line = `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
    return line.length <= 100 ? line : block;
  });
}

export async function writeManifest(path: string, manifest: Manifest): Promise<void> {
  await writeFile(path, `${formatJson(manifest)}\n`);
}
