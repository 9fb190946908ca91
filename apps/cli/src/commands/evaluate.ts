import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type IdentificationReport,
  type VerificationReport,
  evalIdentify,
  evalLfw,
  evalLfwIdentify,
  evalPairs,
  reportToJson,
  writeRocSvg,
} from "@persona/eval";
import { datasetsDir } from "@persona/runtime";
import { configSchema as recognizerConfig } from "@persona/service-recognizer";
import { EMBEDDER_MODELS, embedderSpec } from "@persona/vision";
import { CliError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";

export interface EvalArgs {
  sub: string;
  positionals: string[];
  data?: string;
  gallery?: string;
  probes?: string;
  impostors?: string;
  out?: string;
  model?: string;
  /** Flip fusion; default: the recognizers' RECOGNIZER_FLIP. */
  flip?: boolean;
  ensemble: boolean;
  /** Align from the 68-point landmark net; default: as the recognizers do (ALIGN_LANDMARKS=auto, dlib only). */
  landmarks?: boolean;
  /** Enhance chips before embedding (`enhanceChip`; off in the services: packages/eval/README.md says why). */
  enhance?: boolean;
  json: boolean;
  maxPeople?: number;
  limit?: number;
  seed?: number;
  shots?: number;
  impostorPeople?: number;
  fastPath?: boolean;
}

/**
 * The recognizers' production mode in this environment (their own config schema: RECOGNIZER_MODEL, RECOGNIZER_FLIP,
 * ALIGN_LANDMARKS), with the command's explicit flags over it.
 */
export function productionMode(
  env: NodeJS.ProcessEnv,
  a: Pick<EvalArgs, "model" | "flip" | "landmarks">,
): { model: string; flip: boolean; landmarks: boolean } {
  const parsed = recognizerConfig.pick({ RECOGNIZER_MODEL: true, RECOGNIZER_FLIP: true, ALIGN_LANDMARKS: true }).safeParse({
    RECOGNIZER_MODEL: env.RECOGNIZER_MODEL?.trim() || undefined,
    RECOGNIZER_FLIP: env.RECOGNIZER_FLIP?.trim() || undefined,
    ALIGN_LANDMARKS: env.ALIGN_LANDMARKS?.trim() || undefined,
  });
  if (!parsed.success) throw new UsageError(`recognizer settings in the environment: ${parsed.error.message}`);
  const model = a.model ?? parsed.data.RECOGNIZER_MODEL;
  if (!Object.hasOwn(EMBEDDER_MODELS, model)) {
    throw new UsageError(`${model} is not a model (${Object.keys(EMBEDDER_MODELS).join(", ")})`);
  }
  const hasLandmarks = embedderSpec(model).template.landmarks68 !== undefined;
  return {
    model,
    flip: a.flip ?? parsed.data.RECOGNIZER_FLIP,
    landmarks: a.landmarks ?? (hasLandmarks && parsed.data.ALIGN_LANDMARKS === "auto"),
  };
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export async function evalCommand(a: EvalArgs, out: Output = stdio()): Promise<number> {
  const outDir = resolve(a.out ?? join("data", "eval"));
  const onProgress = (p: { phase: string; done: number; total: number }) => {
    if (p.done === p.total || p.done % 200 === 0) out.stderr(`${p.phase} ${p.done}/${p.total}\n`);
  };
  const mode = productionMode(process.env, a);
  out.stderr(
    `eval: ${mode.model}${mode.flip ? "+flip" : ""}${a.ensemble ? "+ensemble" : ""}${mode.landmarks ? ", 68-point landmarks" : ""}${a.enhance ? ", chips enhanced" : ""}\n`,
  );
  const common = {
    model: mode.model,
    flip: mode.flip,
    ensemble: a.ensemble,
    ...(mode.landmarks ? { landmarks: true } : {}),
    ...(a.enhance ? { enhance: true } : {}),
    onProgress,
  } as Record<string, unknown>;
  let report: VerificationReport | IdentificationReport;
  if (a.sub === "selflearn") return selfLearn(a, outDir, out, onProgress);
  switch (a.sub) {
    case "lfw":
      report = await evalLfw({ dataDir: resolve(a.data ?? join(datasetsDir(), "lfw")), ...common });
      break;
    case "lfw-identify":
      report = await evalLfwIdentify({ dataDir: resolve(a.data ?? join(datasetsDir(), "lfw")), ...common });
      break;
    case "pairs": {
      const file = a.positionals[0];
      if (!file) throw new UsageError("usage: persona eval pairs FILE.tsv");
      report = await evalPairs(resolve(file), common);
      break;
    }
    case "identify":
      if (!a.gallery || !a.probes)
        throw new UsageError("usage: persona eval identify --gallery DIR --probes DIR [--impostors DIR]");
      report = await evalIdentify({
        galleryDir: resolve(a.gallery),
        probesDir: resolve(a.probes),
        ...(a.impostors ? { impostorsDir: resolve(a.impostors) } : {}),
        ...common,
      });
      break;
    default:
      throw new UsageError(
        `persona eval: unknown evaluation ${JSON.stringify(a.sub)} (lfw, lfw-identify, pairs, identify, selflearn)`,
      );
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "report.json"), reportToJson(report));
  if (report.kind === "verification") {
    await writeRocSvg(join(outDir, "roc.svg"), [{ label: report.dataset, curve: report.roc }], {
      title: `${report.dataset}: ${report.pairsFile}`,
    });
  }
  if (a.json) {
    out.stdout(reportToJson(report));
    return 0;
  }
  if (report.kind === "verification") {
    const tar = report.tarAtFar.map((t) => `TAR ${pct(t.tar)} at FAR ${t.targetFar}`).join(", ");
    out.stdout(
      `${report.dataset} (${report.pairs} pairs, ${report.images} images): accuracy ${pct(report.accuracy.mean)} +- ${pct(report.accuracy.std)}, ${tar}, AUC ${report.auc.toFixed(5)}\n` +
        `no face detected: ${JSON.stringify(report.noFace)}\n`,
    );
  } else {
    const fpir = report.atFpir.map((f) => JSON.stringify(f)).join("\n  ");
    out.stdout(
      `${report.protocol}: ${report.galleryPeople} enrolled, ${report.matedProbes} mated and ${report.nonMatedProbes} non-mated probes\n` +
        `rank-1 ${pct(report.rank1)}, rank-5 ${pct(report.rank5)}\n  ${fpir}\n`,
    );
  }
  out.stdout(
    `report: ${join(outDir, "report.json")}${report.kind === "verification" ? `, ROC: ${join(outDir, "roc.svg")}` : ""}\n`,
  );
  return 0;
}

async function selfLearn(
  a: EvalArgs,
  outDir: string,
  out: Output,
  onProgress: (p: { phase: string; done: number; total: number }) => void,
): Promise<number> {
  // loaded on demand: it brings the recognition policies (and the trainer's classifier, for the fast path)
  const { evalSelfLearn, selfLearnSummary } = await import("@persona/eval/selflearn");
  const report = await evalSelfLearn({
    dataDir: resolve(a.data ?? join(datasetsDir(), "lfw")),
    ...(a.maxPeople !== undefined ? { maxPeople: a.maxPeople } : {}),
    ...(a.limit !== undefined ? { limit: a.limit } : {}),
    ...(a.seed !== undefined ? { seed: a.seed } : {}),
    ...(a.shots !== undefined ? { shotsPerTrack: a.shots } : {}),
    ...(a.impostorPeople !== undefined ? { impostorPeople: a.impostorPeople } : {}),
    ...(a.model ? { recognizer: { model: a.model } } : {}),
    fastPath: a.fastPath !== false,
    loadFastPath: () => import("@persona/service-trainer/classifier"),
    onProgress,
  }).catch((err: unknown) => {
    // bad data or options: one clear line, not a stack trace
    if (err instanceof Error && (err.name === "EvaluationError" || err.name === "RangeError"))
      throw new CliError(err.message, err.name === "RangeError" ? 2 : 1, { cause: err });
    throw err;
  });
  await mkdir(outDir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(join(outDir, "selflearn.json"), text);
  if (a.json) out.stdout(text);
  else out.stdout(`${selfLearnSummary(report)}report: ${join(outDir, "selflearn.json")}\n`);
  return report.on.growth.wrongPerson === 0 ? 0 : 1;
}
