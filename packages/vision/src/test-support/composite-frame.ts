/**
 * Builds a synthetic frame with faces of known sizes and positions: LFW photos (face ~105 px in 250x250, centred),
 * cropped to their central 150x150 and scaled, pasted onto a heavily blurred crowd photo (no detectable faces left).
 * Used by the detector integration test and the benchmark, as ground truth for recall on small faces.
 */
import { join } from "node:path";
import sharp, { type OverlayOptions } from "sharp";
import type { RgbImage } from "../types.ts";
import { lfwFirstImages } from "./datasets.ts";

/** Face size in an LFW 250x250 image (box side of BlazeFace's detection, median over LFW) and its crop. */
const LFW_FACE = 105;
const CROP = { left: 50, top: 50, width: 150, height: 150 };

export interface PlacedFace {
  /** Centre and expected face box size in frame pixels. */
  readonly cx: number;
  readonly cy: number;
  readonly size: number;
  readonly source: string;
}

export interface CompositeOptions {
  width: number;
  height: number;
  /** Face sizes to place (px), largest first works best for packing. */
  faceSizes: readonly number[];
  /** LFW image paths, used in turn. */
  sources: readonly string[];
  /** A photo to blur into the background. */
  background: string;
  /** Minimum gap between pasted crops (px). Default 12. */
  gap?: number;
}

/**
 * Spreads the faces over the whole frame on a grid (one face per cell, in the given order), each jittered inside its
 * cell by a fixed pseudo-random offset, so faces land everywhere, including across tile boundaries. Faces whose crop
 * is larger than a cell are shrunk to fit (their `size` says the truth).
 */
export async function composeFaceFrame(o: CompositeOptions): Promise<{ frame: RgbImage; faces: PlacedFace[] }> {
  const gap = o.gap ?? 12;
  const n = o.faceSizes.length;
  const cols = Math.max(1, Math.ceil(Math.sqrt((n * o.width) / o.height)));
  const rows = Math.ceil(n / cols);
  const cellW = o.width / cols;
  const cellH = o.height / rows;
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const layers: OverlayOptions[] = [];
  const faces: PlacedFace[] = [];
  for (let i = 0; i < n; i++) {
    const want = o.faceSizes[i] as number;
    const side = Math.min(Math.round((want / LFW_FACE) * CROP.width), Math.floor(Math.min(cellW, cellH) - gap));
    const size = (side / CROP.width) * LFW_FACE;
    const col = i % cols;
    const row = Math.floor(i / cols);
    const x = Math.round(col * cellW + gap / 2 + rand() * (cellW - gap - side));
    const y = Math.round(row * cellH + gap / 2 + rand() * (cellH - gap - side));
    const source = o.sources[i % o.sources.length] as string;
    const input = await sharp(source).extract(CROP).resize(side, side).toBuffer();
    layers.push({ input, left: x, top: y });
    faces.push({ cx: x + side / 2, cy: y + side / 2 + side * 0.02, size, source });
  }
  const { data, info } = await sharp(o.background)
    .resize(o.width, o.height, { fit: "cover" })
    .blur(25)
    .composite(layers)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    frame: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height },
    faces,
  };
}

/**
 * The tests' and benchmarks' 1280x720 frame: faces of `faceSizes` px cut from the first photos of LFW's people from
 * the 200th on, on the blurred crowd photo ulfd_imgs_26 of the shared data sets at `root`.
 */
export function lfwCrowdFrame(root: string, faceSizes: readonly number[]): Promise<{ frame: RgbImage; faces: PlacedFace[] }> {
  return composeFaceFrame({
    width: 1280,
    height: 720,
    faceSizes,
    sources: lfwFirstImages(root, faceSizes.length, 200),
    background: join(root, "crowd/ulfd_imgs_26.jpg"),
  });
}

/** Matches detections to placed faces (centre within 40% of the size, size within x0.6..x1.6); returns counts. */
export function matchFaces(
  faces: readonly PlacedFace[],
  dets: readonly { box: { x: number; y: number; width: number; height: number } }[],
): { found: number; missed: PlacedFace[]; falsePositives: number } {
  const used = new Set<number>();
  const missed: PlacedFace[] = [];
  for (const f of faces) {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    dets.forEach((d, j) => {
      if (used.has(j)) return;
      const s = Math.max(d.box.width, d.box.height);
      const dist = Math.hypot(d.box.x + d.box.width / 2 - f.cx, d.box.y + d.box.height / 2 - f.cy);
      if (dist < 0.4 * f.size && s > 0.6 * f.size && s < 1.6 * f.size && dist < bestD) {
        best = j;
        bestD = dist;
      }
    });
    if (best >= 0) used.add(best);
    else missed.push(f);
  }
  return { found: faces.length - missed.length, missed, falsePositives: dets.length - used.size };
}
