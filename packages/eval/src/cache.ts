/**
 * On-disk caches for evaluation runs, keyed by the sha256 of each image file's bytes.
 *
 * A cache is one append-only file of fixed-size binary records plus a JSON sidecar describing what produced them
 * (model file hash, template, detector options, ...). The sidecar's key is hashed into the file name, so a change of
 * model or settings starts a new file and never mixes results. A torn last record (a killed run) is dropped on load.
 * Later records win over earlier ones with the same image hash. Two processes appending to the same file at once
 * write whole records with O_APPEND, which is safe on local file systems.
 */
import { createHash } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createReadStream } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EvaluationError, errorMessage } from "./errors.ts";

/** `<PERSONA_DATA_DIR>/cache`, else `<repo>/data/cache` (the repository's git-ignored data directory). */
export const DEFAULT_CACHE_DIR = process.env.PERSONA_DATA_DIR
  ? resolve(process.env.PERSONA_DATA_DIR, "cache")
  : fileURLToPath(new URL("../../../data/cache/", import.meta.url));

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** sha256 of a (possibly large) file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Stable JSON (sorted keys) for hashing configuration objects. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** A file of fixed-size records, each starting with a 32-byte key (an image's sha256). */
export class RecordCache {
  readonly path: string;
  readonly recordSize: number;
  #records = new Map<string, Uint8Array>();

  private constructor(path: string, recordSize: number) {
    this.path = path;
    this.recordSize = recordSize;
  }

  /**
   * Opens (or creates) `<dir>/<prefix>-<hash of key>.bin` for records of `recordSize` bytes (32-byte key included)
   * and loads it. The key object is written beside it as JSON for humans.
   */
  static open(dir: string, prefix: string, key: unknown, recordSize: number): RecordCache {
    const keyJson = stableJson({ key, recordSize });
    const name = `${prefix}-${sha256Hex(keyJson).slice(0, 16)}`;
    const path = join(dir, `${name}.bin`);
    const cache = new RecordCache(path, recordSize);
    try {
      mkdirSync(dir, { recursive: true });
      const side = join(dir, `${name}.json`);
      if (!existsSync(side)) writeFileSync(side, `${JSON.stringify({ key, recordSize }, null, 2)}\n`);
      if (existsSync(path)) {
        const size = statSync(path).size;
        const whole = size - (size % recordSize);
        if (whole !== size) {
          const fd = openSync(path, "r+");
          try {
            ftruncateSync(fd, whole);
          } finally {
            closeSync(fd);
          }
        }
        const buf = readFileSync(path);
        for (let o = 0; o + recordSize <= buf.length; o += recordSize) {
          const rec = new Uint8Array(buf.buffer, buf.byteOffset + o, recordSize);
          cache.#records.set(Buffer.from(rec.subarray(0, 32)).toString("hex"), rec);
        }
      }
    } catch (cause) {
      throw new EvaluationError("cache", `cannot open cache ${path}: ${errorMessage(cause)}`, { cause });
    }
    return cache;
  }

  get size(): number {
    return this.#records.size;
  }

  /** The record (key included) of an image hash, or undefined. */
  get(sha256: string): Uint8Array | undefined {
    return this.#records.get(sha256);
  }

  /** Appends records (each exactly `recordSize` bytes, starting with the key) and indexes them. */
  append(records: readonly Uint8Array[]): void {
    if (records.length === 0) return;
    const buf = Buffer.alloc(records.length * this.recordSize);
    records.forEach((r, i) => {
      if (r.length !== this.recordSize)
        throw new RangeError(`record is ${r.length} bytes, cache ${this.path} expects ${this.recordSize}`);
      buf.set(r, i * this.recordSize);
    });
    try {
      appendFileSync(this.path, buf);
    } catch (cause) {
      throw new EvaluationError("cache", `cannot write cache ${this.path}: ${errorMessage(cause)}`, { cause });
    }
    records.forEach((r, i) => {
      const rec = new Uint8Array(buf.buffer, buf.byteOffset + i * this.recordSize, this.recordSize);
      this.#records.set(Buffer.from(r.subarray(0, 32)).toString("hex"), rec);
    });
  }
}

/** Writes a hex sha256 into the first 32 bytes of `record`. */
export function writeKey(record: Uint8Array, sha256: string): void {
  record.set(Buffer.from(sha256, "hex"), 0);
}
