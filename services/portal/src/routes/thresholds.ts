import { THRESHOLD_MODES, type ThresholdMode, type ThresholdOverride } from "@persona/contracts";
import { CALIBRATION_INFO, type ModeCalibration, calibratedModes, calibrationOf, ratesAt } from "@persona/vision/calibration";
import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ErrorBody, badRequest, notFound } from "../http/errors.ts";
import { ModelThreshold, items } from "../http/schemas.ts";

const Params = z.object({ model: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a model name"), mode: z.enum(THRESHOLD_MODES) });

function view(
  model: string,
  mode: ThresholdMode,
  c: ModeCalibration,
  override: ThresholdOverride | null,
): z.infer<typeof ModelThreshold> {
  const threshold = override?.nameThreshold ?? c.tuned;
  const minMargin = override?.minMargin ?? c.minMargin;
  const rates = (t: number) => {
    const r = minMargin === c.minMargin ? ratesAt(c, t) : null;
    return r ? { dir: r.dir, wrong: r.wrong, fpir: r.fpir } : null;
  };
  return {
    model,
    mode,
    recognizerDefault: CALIBRATION_INFO.recognizerDefault.model === model && CALIBRATION_INFO.recognizerDefault.mode === mode,
    tuned: { threshold: c.tuned, minMargin: c.minMargin, rates: rates(c.tuned) },
    override: override ?? null,
    effective: { threshold, minMargin, rates: rates(threshold) },
    calibration: {
      protocol: CALIBRATION_INFO.protocol,
      command: CALIBRATION_INFO.command,
      detector: CALIBRATION_INFO.detector,
      measuredAt: CALIBRATION_INFO.measuredAt,
      minMargin: c.minMargin,
      points: c.points.map((p) => ({ ...p })),
    },
  };
}

/**
 * /thresholds: the naming threshold of each calibrated model and mode, with its measured rates (LFW open set,
 * @persona/vision/calibration); admins change it at run time (recognizers and the search follow at once).
 */
export function thresholdRoutes(api: Api, c: PortalContext): void {
  const calibrated = (model: string, mode: ThresholdMode): ModeCalibration => {
    const cal = calibrationOf(model, mode);
    if (!cal) throw notFound(`a calibration of model ${model} in ${mode} mode (run packages/eval/bin/calibrate.ts)`);
    return cal;
  };

  api.add({
    method: "get",
    path: "/thresholds",
    summary: "Naming thresholds per model and mode: tuned, set by an admin, and their measured rates",
    tag: "thresholds",
    role: "operator",
    responses: { 200: items(ModelThreshold), 503: ErrorBody },
    async handler() {
      // read together: while NATS is away each read waits out its timeout
      const out = await Promise.all(
        calibratedModes().map(async (m) => view(m.model, m.mode, m.calibration, await c.thresholds.get(m.model, m.mode))),
      );
      return { status: 200, body: { items: out } };
    },
  });

  api.add({
    method: "put",
    path: "/thresholds/:model/:mode",
    summary: "Set the naming threshold (and optionally the margin) of a model and mode (admin): recognizers apply it at once",
    tag: "thresholds",
    role: "admin",
    params: Params,
    body: z.strictObject({ nameThreshold: z.number().min(-1).max(1), minMargin: z.number().min(0).max(2).optional() }),
    responses: { 200: ModelThreshold, 400: ErrorBody, 404: ErrorBody },
    async handler({ params, body, session }) {
      const cal = calibrated(params.model, params.mode);
      const lo = cal.tuned - 0.3;
      const hi = cal.tuned + 0.3;
      if (body.nameThreshold < lo || body.nameThreshold > hi) {
        throw badRequest(
          `nameThreshold ${body.nameThreshold} is far from the tuned ${cal.tuned} of ${params.model} (${params.mode}): choose between ${lo.toFixed(2)} and ${hi.toFixed(2)}`,
        );
      }
      const value: ThresholdOverride = {
        nameThreshold: body.nameThreshold,
        ...(body.minMargin !== undefined ? { minMargin: body.minMargin } : {}),
        updatedAt: new Date().toISOString(),
        updatedBy: session?.username ?? "?",
      };
      await c.thresholds.put(params.model, params.mode, value);
      c.log.info({ model: params.model, mode: params.mode, ...body, by: value.updatedBy }, "naming threshold set");
      return { status: 200, body: view(params.model, params.mode, cal, value) };
    },
  });

  api.add({
    method: "delete",
    path: "/thresholds/:model/:mode",
    summary: "Back to the tuned threshold (or the recognizers' RECOGNIZER_NAME_THRESHOLD) of a model and mode (admin)",
    tag: "thresholds",
    role: "admin",
    params: Params,
    responses: { 200: ModelThreshold, 404: ErrorBody },
    async handler({ params, session }) {
      const cal = calibrated(params.model, params.mode);
      await c.thresholds.remove(params.model, params.mode);
      c.log.info({ model: params.model, mode: params.mode, by: session?.username ?? "?" }, "naming threshold reset");
      return { status: 200, body: view(params.model, params.mode, cal, null) };
    },
  });
}
