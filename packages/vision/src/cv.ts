/**
 * The OpenCV binding (`@u4/opencv4nodejs` over Debian's OpenCV 4.6): loaded once, without its start-up log lines,
 * and with an error that says what to install when it cannot load. Plus zero-copy views between this package's
 * images and tensors (JS memory) and `Mat`s: OpenCV reads from and writes into the JS buffers directly, so a frame
 * crosses the binding without being copied.
 *
 * A view shares its buffer. The buffer stays alive as long as the view (or a region of it taken with `regionOf`)
 * is reachable: V8 may collect an array that no JS variable uses any more while native code still points into it,
 * so every view holds its array (a WeakMap entry keyed by the Mat).
 */
import { createRequire } from "node:module";
import type { Mat } from "@u4/opencv4nodejs";
import type { RgbImage } from "./types.ts";

export type { Mat } from "@u4/opencv4nodejs";
export type OpenCv = typeof import("@u4/opencv4nodejs").default;

/** What installs the binding on Debian; quoted by the load error, install-deps.sh and the README. */
export const OPENCV_DEBIAN_PACKAGES = ["libopencv-dev", "libopencv-contrib-dev"] as const;

/** Thrown when the native binding cannot load (Debian's OpenCV missing, or the addon not built). */
export class OpenCvUnavailableError extends Error {
  override readonly name = "OpenCvUnavailableError";
}

const require = createRequire(import.meta.url);
let loaded: OpenCv | null = null;

/** The binding. Throws `OpenCvUnavailableError` naming the Debian packages and the rebuild command. */
export function opencv(): OpenCv {
  if (loaded) return loaded;
  try {
    // opencv-build prints seven "Info" lines on every require unless silenced first
    try {
      (require("@u4/opencv-build") as { Log: { silence: boolean } }).Log.silence = true;
    } catch {
      // not resolvable on its own: the noise is cosmetic
    }
    // The binding's own Mat allocator reports every Mat to V8 (AdjustAmountOfExternalAllocatedMemory), also from the
    // destructors V8 runs while tearing the isolate down at exit, where it segfaults (seen in the test runner; it can
    // only be switched off before the binding loads). With OpenCV's allocator, the hot paths free their large
    // temporaries themselves (`release()`).
    process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING = "1";
    const mod = require("@u4/opencv4nodejs") as OpenCv & { default?: OpenCv };
    loaded = mod.default ?? mod;
    return loaded;
  } catch (err) {
    const pkgs = OPENCV_DEBIAN_PACKAGES.join(" ");
    throw new OpenCvUnavailableError(
      `OpenCV (@u4/opencv4nodejs) cannot load: ${(err as Error).message.split("\n")[0]}. ` +
        `Install Debian's OpenCV (apt-get install -y ${pkgs}), then rebuild the binding: ` +
        "OPENCV4NODEJS_DISABLE_AUTOBUILD=1 npm rebuild @u4/opencv4nodejs (scripts/install-deps.sh does both).",
      { cause: err },
    );
  }
}

function asBuffer(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The JS memory each view (or region of a view) points into, kept alive by the Mat's wrapper. */
const owners = new WeakMap<Mat, ArrayBufferView>();

function view(mat: Mat, memory: ArrayBufferView): Mat {
  owners.set(mat, memory);
  return mat;
}

/** A region of `mat` sharing its pixels (a `getRegion` that keeps a view's JS memory alive with it). */
export function regionOf(mat: Mat, x: number, y: number, width: number, height: number): Mat {
  const cv = opencv();
  const r = mat.getRegion(new cv.Rect(x, y, width, height));
  const memory = owners.get(mat);
  return memory ? view(r, memory) : r;
}

/** A CV_8UC3 view of an RGB image (channel order stays RGB). No copy. */
export function matOf(img: RgbImage): Mat {
  const cv = opencv();
  return view(new cv.Mat(img.height, img.width, cv.CV_8UC3, asBuffer(img.data)), img.data);
}

/** A `rows`x`cols` view of a float buffer with `channels` interleaved channels, starting at element `offset`. */
export function floatMatOf(data: Float32Array, rows: number, cols: number, channels: 1 | 3, offset = 0): Mat {
  const cv = opencv();
  const n = rows * cols * channels;
  if (offset + n > data.length) throw new RangeError(`float view ${rows}x${cols}x${channels} exceeds its buffer`);
  const part = data.subarray(offset, offset + n);
  return view(new cv.Mat(rows, cols, channels === 3 ? cv.CV_32FC3 : cv.CV_32FC1, asBuffer(part)), part);
}

/** Copies a CV_8UC3 `Mat` (or ROI) into a new RGB image: one native copy into JS memory. */
export function imageOf(mat: Mat): RgbImage {
  const cv = opencv();
  if (mat.type !== cv.CV_8UC3) throw new TypeError(`expected a CV_8UC3 Mat, got type ${mat.type}`);
  const img: RgbImage = { data: new Uint8Array(mat.rows * mat.cols * 3), width: mat.cols, height: mat.rows };
  mat.copyTo(matOf(img));
  return img;
}
