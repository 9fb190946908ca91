/**
 * Enhancement of poor face chips before embedding, chosen per chip from what is measured on it (OpenCV):
 *
 * - dark (mean luma under `darkBelow`): gamma lifting the mean luma towards `targetMean`;
 * - flat (luma standard deviation under `flatBelow`, e.g. a backlit face): histogram equalisation of the luma,
 *   blended half and half with the original (global equalisation on a chip is close to CLAHE with one tile: the
 *   chip is mostly face, and the binding has no CLAHE);
 * - soft (variance of Laplacian under `softBelow`: blur, or a face enlarged from a few pixels): unsharp masking.
 *
 * Off by default everywhere: packages/eval/README.md has what each step does to LFW, clean and degraded
 * (`degrade-lfw.ts`), and enhancement stays off where it does not pay.
 */
import { imageOf, matOf, opencv } from "./cv.ts";
import { laplacianVariance } from "./sharpness.ts";
import type { RgbImage } from "./types.ts";

export interface ChipMeasures {
  /** Mean BT.601 luma, 0..255. */
  readonly brightness: number;
  /** Standard deviation of the luma. */
  readonly contrast: number;
  /** Variance of the Laplacian of the luma over the central 70% (`laplacianVariance`). */
  readonly sharpness: number;
}

export interface EnhanceOptions {
  darkBelow?: number;
  targetMean?: number;
  flatBelow?: number;
  softBelow?: number;
  /** Unsharp-mask amount (0.6: out = 1.6 chip - 0.6 blur). */
  sharpenAmount?: number;
}

export const ENHANCE_DEFAULTS = {
  darkBelow: 80,
  targetMean: 115,
  flatBelow: 32,
  softBelow: 40,
  sharpenAmount: 0.6,
} as const satisfies Required<EnhanceOptions>;

export type EnhanceStep = "gamma" | "equalize" | "sharpen";

export function measureChip(chip: RgbImage): ChipMeasures {
  const cv = opencv();
  const { mean, stddev } = matOf(chip).cvtColor(cv.COLOR_RGB2GRAY).meanStdDev();
  return {
    brightness: mean.at(0, 0) as unknown as number,
    contrast: stddev.at(0, 0) as unknown as number,
    sharpness: laplacianVariance(chip),
  };
}

/** The steps `enhanceChip` applies to a chip with these measures. */
export function enhanceSteps(m: ChipMeasures, options: EnhanceOptions = {}): EnhanceStep[] {
  const o = { ...ENHANCE_DEFAULTS, ...options };
  const steps: EnhanceStep[] = [];
  if (m.brightness < o.darkBelow) steps.push("gamma");
  if (m.contrast < o.flatBelow) steps.push("equalize");
  if (m.sharpness < o.softBelow) steps.push("sharpen");
  return steps;
}

/** Enhances `chip` (a new image; the input is untouched) with the steps its measures call for. */
export function enhanceChip(chip: RgbImage, options: EnhanceOptions = {}): { chip: RgbImage; steps: EnhanceStep[] } {
  const o = { ...ENHANCE_DEFAULTS, ...options };
  const m = measureChip(chip);
  const steps = enhanceSteps(m, o);
  if (steps.length === 0) return { chip, steps };
  const cv = opencv();
  let mat = matOf(chip);
  if (steps.includes("gamma")) {
    // out = 255 (in / 255)^g with g putting the mean luma at targetMean: g = ln(target/255) / ln(mean/255)
    const mean = Math.max(1, m.brightness);
    const g = Math.min(1, Math.max(0.3, Math.log(o.targetMean / 255) / Math.log(mean / 255)));
    mat = mat
      .convertTo(cv.CV_32FC3, 1 / 255, 1 / 512)
      .log()
      .convertTo(cv.CV_32FC3, g)
      .exp()
      .convertTo(cv.CV_8UC3, 255);
  }
  if (steps.includes("equalize")) {
    const ycc = mat.cvtColor(cv.COLOR_RGB2YCrCb);
    const [y, cr, cb] = ycc.splitChannels() as [typeof mat, typeof mat, typeof mat];
    const eq = y.equalizeHist().addWeighted(0.5, y, 0.5, 0);
    mat = new cv.Mat([eq, cr, cb]).cvtColor(cv.COLOR_YCrCb2RGB);
  }
  if (steps.includes("sharpen")) {
    const blur = mat.gaussianBlur(new cv.Size(0, 0), 1.0);
    mat = mat.addWeighted(1 + o.sharpenAmount, blur, -o.sharpenAmount, 0);
  }
  return { chip: imageOf(mat), steps };
}
