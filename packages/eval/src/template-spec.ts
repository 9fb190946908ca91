/**
 * Alignment templates from short strings, for experiments on the command line:
 * - `arcface:<size>[:<margin>]`: insightface's 112 px layout scaled to `size`, with `withMargin(margin)` context;
 * - `dlib:<size>[:<padding>]`: dlib's chip (`dlibTemplate(size, padding)`, padding default 0.25);
 * - `model`: the model's own template;
 * - any of them + `:w<rightEye>,<leftEye>,<noseTip>,<mouth>`: least-squares weights of the four keypoints (0 drops
 *   a point), e.g. `dlib:150:0.25:w1,1,0,1` fits eyes and mouth only.
 */
import { ARCFACE_112, type AlignmentTemplate, dlibTemplate, resizeTemplate, withMargin } from "@persona/vision";
import { EvaluationError } from "./errors.ts";

export function parseTemplateSpec(spec: string, modelTemplate: AlignmentTemplate): AlignmentTemplate {
  const parts = spec.split(":");
  const last = parts[parts.length - 1] ?? "";
  if (parts.length > 1 && last.startsWith("w")) {
    const w = last.slice(1).split(",").map(Number);
    if (w.length !== 4 || w.some((x) => !(x >= 0)) || (w[0] ?? 0) + (w[1] ?? 0) === 0) {
      throw new EvaluationError(
        "options",
        `bad weights "${last}" in template "${spec}" (w<rightEye>,<leftEye>,<noseTip>,<mouth>, eyes not both 0)`,
      );
    }
    const t = parseTemplateSpec(parts.slice(0, -1).join(":"), modelTemplate);
    const names = ["rightEye", "leftEye", "noseTip", "mouth"] as const;
    const points: AlignmentTemplate["points"] = Object.fromEntries(
      names.filter((_, i) => (w[i] ?? 0) > 0).map((n) => [n, t.points[n]]),
    );
    const weights: AlignmentTemplate["weights"] = Object.fromEntries(
      names.filter((_, i) => (w[i] ?? 0) > 0).map((n, i) => [n, w[names.indexOf(n)] ?? i]),
    );
    return { ...t, name: `${t.name}:${last}`, points, weights };
  }
  if (spec === "model") return modelTemplate;
  const [kind, sizeS, extraS] = parts;
  const size = Number(sizeS);
  const extra = extraS === undefined ? undefined : Number(extraS);
  if (!Number.isInteger(size) || size < 16 || (extra !== undefined && !Number.isFinite(extra))) {
    throw new EvaluationError(
      "options",
      `bad template "${spec}" (use arcface:<size>[:<margin>], dlib:<size>[:<padding>] or model)`,
    );
  }
  if (kind === "arcface") {
    const t = size === 112 ? ARCFACE_112 : resizeTemplate(ARCFACE_112, size, size);
    return extra ? withMargin(t, extra) : t;
  }
  if (kind === "dlib") return dlibTemplate(size, extra ?? 0.25);
  throw new EvaluationError("options", `bad template kind "${kind}" in "${spec}" (arcface, dlib or model)`);
}
