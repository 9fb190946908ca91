/**
 * Planning of detector passes over a frame. Pure functions.
 *
 * The detector sees 256x256 inputs. A face must be roughly >= `modelMinFacePx` (16) input pixels to be found, so a
 * whole-frame pass over a 1280x720 frame (scale 0.2) misses faces under ~80 px. Tiling cuts the frame into
 * `tileSize` squares (scale 256 / tileSize; 512 -> 0.5 finds faces from ~32 px) with `overlap` between neighbours.
 *
 * All tiles of one plan share a single scale, so the frame is resampled once (a "level" image) and each tile is an
 * integer 256x256 window of that level: no per-tile resampling.
 *
 * Ownership rules used by the detector to avoid half faces and duplicates:
 * - each tile owns its "core": the part of it closer to its own centre than to a neighbour's (cores partition the
 *   frame); a tile detection is kept only if its box centre is in the tile's core and its box does not cross an
 *   inner tile edge (a cut face);
 * - in a tiled plan the whole-frame pass only contributes faces at least `wholeFrameMinFace` px (about the overlap),
 *   which are the ones a tile may cut.
 */

export interface Tile {
  /** Window in level-image pixels (top-left; size is always the detector input size). */
  readonly levelX: number;
  readonly levelY: number;
  /** Core region in frame pixels: [x0, x1) x [y0, y1). */
  readonly core: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number };
  /** Tile window in frame pixels (may extend past the frame at the far edges when the frame is small). */
  readonly frame: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number };
}

export interface TilePlan {
  /** level = frame * scale */
  readonly scale: number;
  readonly levelWidth: number;
  readonly levelHeight: number;
  readonly tiles: readonly Tile[];
  /** Tile size in frame pixels (= inputSize / scale). */
  readonly tileSize: number;
  /** Overlap between neighbouring tiles in frame pixels (the smallest one, after spreading the tiles evenly). */
  readonly overlap: number;
}

export interface PlanOptions {
  /** Frame size. */
  width: number;
  height: number;
  /** Smallest face to find, in frame pixels. */
  minFaceSize: number;
  /** Detector input side (256). */
  inputSize: number;
  /** Smallest face the model finds reliably, in input pixels. Default 16. */
  modelMinFacePx?: number;
  /** Fractional overlap between tiles (0..0.5). Default 0.25. */
  overlap?: number;
  /** Cap on the number of tiles; the tile size grows to respect it. Default 24. */
  maxTiles?: number;
  /** Explicit tile size in frame pixels (overrides the one derived from `minFaceSize`); clamped to >= inputSize. */
  tileSize?: number;
}

/** Whole-frame scale: fit the longer side into the input. */
export function wholeFrameScale(width: number, height: number, inputSize: number): number {
  return inputSize / Math.max(width, height);
}

/** Would a whole-frame pass already see `minFaceSize` faces at >= `modelMinFacePx` input pixels? */
export function wholeFrameSuffices(
  width: number,
  height: number,
  minFaceSize: number,
  inputSize: number,
  modelMinFacePx = 16,
): boolean {
  return minFaceSize * wholeFrameScale(width, height, inputSize) >= modelMinFacePx;
}

/** Evenly spread window origins covering [0, length) with windows of `win` and at least `minOverlap` overlap. */
export function spreadOrigins(length: number, win: number, minOverlap: number): number[] {
  if (length <= win) return [0];
  const stride = Math.max(1, win - minOverlap);
  const n = Math.ceil((length - win) / stride) + 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.round(((length - win) * i) / (n - 1)));
  return out;
}

function countTiles(width: number, height: number, tile: number, overlap: number): number {
  return spreadOrigins(width, tile, tile * overlap).length * spreadOrigins(height, tile, tile * overlap).length;
}

/** Plans the tiles for one frame (does not include the whole-frame pass). */
export function planTiles(o: PlanOptions): TilePlan {
  const { width, height, inputSize } = o;
  const modelMin = o.modelMinFacePx ?? 16;
  const overlap = Math.min(0.5, Math.max(0, o.overlap ?? 0.25));
  const maxTiles = Math.max(1, o.maxTiles ?? 24);
  let tile = o.tileSize ?? (inputSize * o.minFaceSize) / modelMin;
  tile = Math.max(inputSize, Math.min(tile, Math.max(width, height)));
  while (countTiles(width, height, tile, overlap) > maxTiles && tile < Math.max(width, height)) tile *= 1.1;
  tile = Math.min(tile, Math.max(width, height));
  const scale = inputSize / tile;
  const levelWidth = Math.max(1, Math.round(width * scale));
  const levelHeight = Math.max(1, Math.round(height * scale));
  const ovLevel = inputSize * overlap;
  const xs = spreadOrigins(levelWidth, inputSize, ovLevel);
  const ys = spreadOrigins(levelHeight, inputSize, ovLevel);
  const cores = (origins: number[], levelLen: number): [number, number][] =>
    origins.map((o0, i) => {
      const prev = origins[i - 1];
      const next = origins[i + 1];
      const a = prev === undefined ? 0 : (o0 + prev + inputSize) / 2; // midpoint of the overlap with the previous tile
      const b = next === undefined ? levelLen : (next + o0 + inputSize) / 2;
      return [a / scale, b / scale];
    });
  const cx = cores(xs, levelWidth);
  const cy = cores(ys, levelHeight);
  const tiles: Tile[] = [];
  ys.forEach((ly, j) => {
    xs.forEach((lx, i) => {
      const [x0, x1] = cx[i] as [number, number];
      const [y0, y1] = cy[j] as [number, number];
      tiles.push({
        levelX: lx,
        levelY: ly,
        core: { x0, y0, x1, y1 },
        frame: { x0: lx / scale, y0: ly / scale, x1: (lx + inputSize) / scale, y1: (ly + inputSize) / scale },
      });
    });
  });
  const minOv = (origins: number[]): number =>
    origins.length < 2
      ? Number.POSITIVE_INFINITY
      : Math.min(...origins.slice(1).map((v, i) => (origins[i] as number) + inputSize - v));
  const ovPx = Math.min(minOv(xs), minOv(ys)) / scale;
  return { scale, levelWidth, levelHeight, tiles, tileSize: tile, overlap: Number.isFinite(ovPx) ? ovPx : 0 };
}

/**
 * One run over the whole level image ("level" mode, for a size-agnostic model): the frame scaled as a tile plan
 * would (so `minFaceSize` faces become `modelMinFacePx` input pixels), then padded right and bottom to multiples of
 * `multiple` (the model's largest stride).
 */
export interface LevelPlan {
  /** level = frame * scale */
  readonly scale: number;
  readonly levelWidth: number;
  readonly levelHeight: number;
  /** Model input: the level padded to multiples of `multiple`. */
  readonly inputWidth: number;
  readonly inputHeight: number;
}

export interface LevelOptions {
  width: number;
  height: number;
  minFaceSize: number;
  /** The fixed model's input side (256): the level is never upscaled nor smaller than a whole-frame pass. */
  inputSize: number;
  modelMinFacePx?: number;
  /** Cap on level pixels; the scale shrinks (by 1.1 steps) to respect it. Default 24 x 256 x 256. */
  maxPixels?: number;
  /** Input sides are padded to multiples of this. Default 32. */
  multiple?: number;
}

export function planLevel(o: LevelOptions): LevelPlan {
  const { width, height, inputSize } = o;
  const modelMin = o.modelMinFacePx ?? 16;
  const multiple = o.multiple ?? 32;
  const maxPixels = Math.max(inputSize * inputSize, o.maxPixels ?? 24 * inputSize * inputSize);
  const longSide = Math.max(width, height);
  // Same scale as planTiles' tiles: inputSize / tile, tile clamped to [inputSize, longSide].
  let scale = inputSize / Math.max(inputSize, Math.min((inputSize * o.minFaceSize) / modelMin, longSide));
  const dims = (s: number): [number, number] => [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))];
  let [lw, lh] = dims(scale);
  while (lw * lh > maxPixels && scale * longSide > inputSize) {
    scale = Math.max(scale / 1.1, inputSize / longSide);
    [lw, lh] = dims(scale);
  }
  const up = (v: number) => Math.max(multiple, Math.ceil(v / multiple) * multiple);
  return { scale, levelWidth: lw, levelHeight: lh, inputWidth: up(lw), inputHeight: up(lh) };
}
