/**
 * The measured open-set rates of the naming threshold per model and mode (calibration.gen.ts, written by
 * packages/eval/bin/calibrate.ts): what the console shows next to a threshold an admin picks. Imports no model
 * runtime (`@persona/vision/calibration`), so the portal reads it without loading onnxruntime.
 */
import { THRESHOLD_CALIBRATION } from "./calibration.gen.ts";

export interface CalibrationPoint {
  readonly threshold: number;
  /** Enrolled people's photos named correctly (detection and identification rate). */
  readonly dir: number;
  /** Enrolled people's photos named as someone else. */
  readonly wrong: number;
  /** Strangers' photos named as someone (false positive identification rate). */
  readonly fpir: number;
}

export interface ModeCalibration {
  readonly minMargin: number;
  /** The threshold tuned on LFW DevTrain for FPIR <= 1% (the model's default). */
  readonly tuned: number;
  readonly points: readonly CalibrationPoint[];
}

export type CalibrationMode = "single" | "flip";

/** How the points were measured (shown with them). */
export const CALIBRATION_INFO = {
  protocol: THRESHOLD_CALIBRATION.protocol,
  command: THRESHOLD_CALIBRATION.command,
  detector: THRESHOLD_CALIBRATION.detector,
  measuredAt: THRESHOLD_CALIBRATION.measuredAt,
  /** The model and mode the recognizers run when nothing is set (RECOGNIZER_MODEL, RECOGNIZER_FLIP). */
  recognizerDefault: THRESHOLD_CALIBRATION.recognizerDefault,
} as const;

const models = THRESHOLD_CALIBRATION.models as unknown as Record<string, Partial<Record<CalibrationMode, ModeCalibration>>>;

/** Every calibrated model and mode. */
export function calibratedModes(): { model: string; mode: CalibrationMode; calibration: ModeCalibration }[] {
  return Object.entries(models).flatMap(([model, byMode]) =>
    (["single", "flip"] as const).flatMap((mode) => {
      const calibration = byMode[mode];
      return calibration ? [{ model, mode, calibration }] : [];
    }),
  );
}

export function calibrationOf(model: string, mode: CalibrationMode): ModeCalibration | null {
  return models[model]?.[mode] ?? null;
}

/**
 * The rates at `threshold`, interpolated linearly between the two measured points around it; null outside the
 * measured range (the console then says "not measured").
 */
export function ratesAt(c: ModeCalibration, threshold: number): Omit<CalibrationPoint, "threshold"> | null {
  const pts = c.points;
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last || threshold < first.threshold || threshold > last.threshold) return null;
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i] as CalibrationPoint;
    if (p.threshold === threshold) return { dir: p.dir, wrong: p.wrong, fpir: p.fpir };
    const q = pts[i + 1];
    if (q && threshold > p.threshold && threshold < q.threshold) {
      const f = (threshold - p.threshold) / (q.threshold - p.threshold);
      const mix = (a: number, b: number) => a + (b - a) * f;
      return { dir: mix(p.dir, q.dir), wrong: mix(p.wrong, q.wrong), fpir: mix(p.fpir, q.fpir) };
    }
  }
  return null;
}
