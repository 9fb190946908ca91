/**
 * Face embedding on onnxruntime-node: aligned RGB chips in, L2-normalised descriptors out.
 *
 * One `Embedder` wraps one model file described by an `EmbedderSpec` (input/output names, chip size, the alignment
 * template the chips must be made with, descriptor length). The built-in specs cover the models of `models/dist/`
 * (see `models/manifest.json`): every graph takes NHWC RGB 0..255 and does its own normalisation, so a chip's bytes
 * go in as they are.
 *
 * Cosine similarity of two outputs is their dot product (`cosineSimilarity`), since each is unit length.
 */
import * as ort from "onnxruntime-node";
import { createLocalSession, resolveModelPath } from "./models.ts";
import { type AlignOptions, alignFace } from "./alignment.ts";
import { ARCFACE_112, type AlignmentTemplate, dlibTemplate, resizeTemplate, withMargin } from "./templates.ts";
import { assertRgbImage, type FaceKeypoints, type RgbImage } from "./types.ts";
import { CodedError } from "./errors.ts";
import { flipChip, fuseEmbeddings, l2NormalizeInPlace } from "./embedder-vectors.ts";

export {
  cosineSimilarity,
  dot,
  flipChip,
  fuseEmbeddings,
  l2NormalizeInPlace,
} from "./embedder-vectors.ts";

/** What the embedder needs to know about a model. */
export interface EmbedderSpec {
  /** Short name used in reports, caches and the CLI (`dlib-resnet29`). */
  readonly name: string;
  /** File name in the models directory (or an absolute path). */
  readonly file: string;
  /** Graph input: NHWC float32 [N, size, size, 3], RGB 0..255. */
  readonly inputName: string;
  /** Square chip side in pixels; must equal `template.width` and `template.height`. */
  readonly inputSize: number;
  /** Graph output holding the descriptor [N, dims]. */
  readonly outputName: string;
  readonly dims: number;
  /** How chips for this model must be aligned (pass it to `alignFace` / `detectAndAlign`). */
  readonly template: AlignmentTemplate;
  /**
   * Templates of the multi-crop ensemble (`embedFaces` with `ensemble: true`): the face is aligned with each, and
   * the unit embeddings are averaged. Measured on LFW View 1 (packages/eval/README.md); `[template]` when the model
   * gains nothing from it.
   */
  readonly ensemble: readonly AlignmentTemplate[];
  /**
   * Thresholds measured on LFW View 1 for each embedding mode (packages/eval/README.md); a mode that was not
   * measured is missing. Similarities shift a little between modes, so use the entry of the mode you embed with
   * (`embedMode`).
   */
  readonly thresholds: Readonly<Partial<Record<EmbedMode, ModeThresholds>>>;
  /**
   * The trainer's similarity settings for this model (similarities live on each model's own scale), measured with
   * `persona eval selflearn` (services/trainer/README.md); absent for models nobody tuned them for (the trainer then
   * needs them set explicitly).
   */
  readonly selfLearning?: SelfLearningThresholds;
  readonly description: string;
}

/** Cosine similarity settings of self-learning for one model. */
export interface SelfLearningThresholds {
  /** Gallery growth: a crop must match the claimed person at least this well (GROWTH_MIN_SIMILARITY). */
  readonly growthMinSimilarity: number;
  /** Gallery growth: a crop at least this similar to a template adds nothing (GROWTH_DEDUPE_SIMILARITY). */
  readonly growthDedupeSimilarity: number;
  /** Unknown visitors: cosine distance linking faces into a cluster (VISITORS_MAX_DISTANCE). */
  readonly visitorsMaxDistance: number;
}

/** How a face is embedded: one crop or the ensemble, with or without the mirrored crops. */
export type EmbedMode = "single" | "flip" | "ensemble" | "ensemble+flip";

export function embedMode(o: { flip: boolean; ensemble: boolean }): EmbedMode {
  return o.ensemble ? (o.flip ? "ensemble+flip" : "ensemble") : o.flip ? "flip" : "single";
}

/** Cosine-similarity operating points of one model and mode. */
export interface ModeThresholds {
  /** 1:1 verification, accuracy-optimal on LFW DevTrain pairs. */
  readonly verify: number;
  /**
   * 1:N open set (`Gallery.decide`): threshold and minMargin with the best identification rate at FPIR <= 1% on the
   * LFW DevTrain people (one enrolled image each, the other people as impostors). Stricter than `verify`, since
   * an impostor is compared with every enrolled person.
   */
  readonly openSet: { readonly threshold: number; readonly minMargin: number };
}

/** Names of the built-in specs. */
export type EmbedderModelName = "fr_feature" | "dlib-resnet29" | "faceres" | "faceres-deep" | "mobileface";

/**
 * dlib chips with padding 0.2 rather than dlib's 0.25: with BlazeFace's four keypoints (instead of dlib's 68-point
 * fit) the slightly tighter crop measured better on LFW View 1 (98.75% vs 98.50% 10-fold, no flip).
 */
export const DLIB_CHIP_PADDING = 0.2;
const DLIB_150_P020 = dlibTemplate(150, DLIB_CHIP_PADDING);
/** dlib's ensemble: paddings 0.15, 0.2, 0.25 (View 1 10-fold with flip: 99.28% vs 98.91% for the single crop). */
const DLIB_ENSEMBLE = [dlibTemplate(150, 0.15), DLIB_150_P020, dlibTemplate(150, 0.25)] as const;

/** Template of the faceres models: the ArcFace layout scaled to 224 px with `FACERES_MARGIN` context on each side. */
export const FACERES_MARGIN = 0.1;
const FACERES_224 = withMargin(resizeTemplate(ARCFACE_112, 224, 224), FACERES_MARGIN);

/**
 * A built-in spec of a model with one chip per face (`models/dist/<name>.onnx`, input "input", output "embedding",
 * the ensemble being its one template).
 */
function oneChipSpec(
  name: EmbedderModelName,
  template: AlignmentTemplate,
  rest: Pick<EmbedderSpec, "dims" | "thresholds" | "selfLearning" | "description">,
): EmbedderSpec {
  return {
    name,
    file: `${name}.onnx`,
    inputName: "input",
    inputSize: template.width,
    outputName: "embedding",
    template,
    ensemble: [template],
    ...rest,
  };
}

/**
 * Built-in model specs. Alignment templates and thresholds were chosen by measurement on LFW View 1
 * (DevTrain / DevTest); the numbers are in packages/eval/README.md.
 */
export const EMBEDDER_MODELS: Readonly<Record<EmbedderModelName, EmbedderSpec>> = {
  fr_feature: oneChipSpec("fr_feature", ARCFACE_112, {
    dims: 512,
    // tuned on LFW View 1 DevTrain with YuNet's five keypoints (packages/eval/README.md, "Recognition v2")
    thresholds: {
      single: { verify: 0.2827, openSet: { threshold: 0.4398, minMargin: 0 } },
      flip: { verify: 0.2927, openSet: { threshold: 0.4389, minMargin: 0.03 } },
    },
    selfLearning: { growthMinSimilarity: 0.5, growthDedupeSimilarity: 0.8, visitorsMaxDistance: 0.5 },
    description:
      "Faceplugin's fr_feature (ArcFace-style MobileFaceNet, 1.19 M parameters; a demo model, training data not stated), 112x112 ArcFace chip, 512-d",
  }),
  "dlib-resnet29": {
    name: "dlib-resnet29",
    file: "dlib-resnet29.onnx",
    inputName: "input",
    inputSize: 150,
    outputName: "embedding",
    dims: 128,
    template: DLIB_150_P020,
    ensemble: DLIB_ENSEMBLE,
    thresholds: {
      single: { verify: 0.9041, openSet: { threshold: 0.9406, minMargin: 0.015 } },
      flip: { verify: 0.9148, openSet: { threshold: 0.9441, minMargin: 0.015 } },
      ensemble: { verify: 0.9127, openSet: { threshold: 0.9434, minMargin: 0.015 } },
      "ensemble+flip": { verify: 0.9157, openSet: { threshold: 0.9451, minMargin: 0.015 } },
    },
    selfLearning: { growthMinSimilarity: 0.945, growthDedupeSimilarity: 0.985, visitorsMaxDistance: 0.05 },
    description: "dlib ResNet-29 face descriptor (via face-api, 8-bit quantized weights), 150x150 dlib chip, 128-d",
  },
  faceres: oneChipSpec("faceres", FACERES_224, {
    dims: 1024,
    thresholds: {
      single: { verify: 0.5168, openSet: { threshold: 0.6978, minMargin: 0.0525 } },
      flip: { verify: 0.5537, openSet: { threshold: 0.7022, minMargin: 0.06 } },
    },
    description: "HSE FaceRec MobileNet (Human's faceres), 224x224, 1024-d",
  }),
  "faceres-deep": oneChipSpec("faceres-deep", FACERES_224, {
    dims: 1024,
    thresholds: {
      single: { verify: 0.5568, openSet: { threshold: 0.7488, minMargin: 0.055 } },
      flip: { verify: 0.5835, openSet: { threshold: 0.7702, minMargin: 0.05 } },
    },
    description: "HSE FaceRec MobileNet, other weights (Human's faceres-deep), 224x224, 1024-d",
  }),
  mobileface: oneChipSpec("mobileface", ARCFACE_112, {
    dims: 256,
    thresholds: {
      single: { verify: 0.2284, openSet: { threshold: 0.5189, minMargin: 0.055 } },
      flip: { verify: 0.2377, openSet: { threshold: 0.5228, minMargin: 0.06 } },
    },
    description: "MobileFace identification V3 (Human's mobileface), 112x112 ArcFace chip, 256-d",
  }),
};

/**
 * The model used when none is named, chosen by LFW measurement (packages/eval/README.md, "Recognition v2"): with flip,
 * open-set DIR at FPIR 1% 97.1% on all of LFW against dlib-resnet29's 62-71%, 10-fold 99.43%.
 */
export const DEFAULT_EMBEDDER_MODEL: EmbedderModelName = "fr_feature";

/** Looks up a built-in spec by name; unknown names are an `EmbedderError` listing the known ones. */
export function embedderSpec(name: string): EmbedderSpec {
  const spec = (EMBEDDER_MODELS as Readonly<Record<string, EmbedderSpec>>)[name];
  if (!spec) {
    throw new EmbedderError(
      "unknown_model",
      `unknown embedder model "${name}" (known: ${Object.keys(EMBEDDER_MODELS).join(", ")})`,
    );
  }
  return spec;
}

export type EmbedderErrorCode =
  /** no built-in spec has this name */
  | "unknown_model"
  /** the model file does not have the spec's input/output or descriptor length */
  | "model_mismatch"
  /** a chip has the wrong size or is not an RGB image */
  | "bad_chip"
  /** the model produced a non-finite or all-zero descriptor */
  | "bad_output"
  /** onnxruntime failed while running */
  | "inference";

/** Errors of the embedder (model loading itself fails with `ModelLoadError`). */
export class EmbedderError extends CodedError<EmbedderErrorCode> {
  override readonly name = "EmbedderError";
}

export interface EmbedderOptions {
  /** A built-in model name or a full spec. Default `DEFAULT_EMBEDDER_MODEL`. */
  model?: EmbedderModelName | EmbedderSpec;
  /** Directory of the model files (else env `PERSONA_MODELS_DIR`, else `<repo>/models/dist`). */
  modelsDir?: string;
  /** onnxruntime `intraOpNumThreads`. Default 1 (one session per worker; 0 lets onnxruntime pick). Graph
   * optimisation is always "all". */
  intraOpNumThreads?: number;
  /** Largest batch given to one `session.run`; longer inputs are split. Default 8. */
  maxBatch?: number;
  /** Default of `embed`'s and `embedFaces`' `flip` option. Default true (`EMBEDDER_DEFAULTS`). */
  flip?: boolean;
  /** Default of `embedFaces`' `ensemble` option. Default true (`EMBEDDER_DEFAULTS`). */
  ensemble?: boolean;
}

export interface EmbedOptions {
  /**
   * Horizontal-flip test-time augmentation: also embed each chip mirrored and use
   * normalise(normalise(e) + normalise(e_mirrored)). Twice the inference cost. Default: the embedder's `flip`.
   */
  flip?: boolean;
}

/** A face to embed from its image: `embedFaces` aligns it itself. */
export interface FaceToEmbed {
  readonly image: RgbImage;
  readonly keypoints: FaceKeypoints;
}

export interface EmbedFacesOptions extends EmbedOptions {
  /** Align with every template of `spec.ensemble` and average (more accurate, `ensemble.length` times the cost).
   * Default: the embedder's `ensemble`. */
  ensemble?: boolean;
  /** Warp options passed to `alignFace`. */
  align?: AlignOptions;
}

/**
 * Defaults. flip and ensemble are on: on LFW View 2 they lift dlib-resnet29 from 98.75% (one crop) to 99.23%
 * (packages/eval/README.md), for 6 model runs per face instead of 1 (`embedFaces`; `embed` on ready chips can only
 * flip). Turn them off where throughput matters more.
 */
export const EMBEDDER_DEFAULTS = {
  intraOpNumThreads: 1,
  maxBatch: 8,
  flip: true,
  ensemble: true,
} as const satisfies Required<Pick<EmbedderOptions, "intraOpNumThreads" | "maxBatch" | "flip" | "ensemble">>;

/** Runs one embedding model. Create with `Embedder.create`, release with `dispose`. */
/**
 * The model name recorded with templates and unknown faces' embeddings: the model plus "+flip" when flip fusion is
 * on (the two give different vectors). Templates of one name are only compared with probes of the same name.
 */
export function templateModelName(e: { spec: { name: string }; flip: boolean }): string {
  return e.flip ? `${e.spec.name}+flip` : e.spec.name;
}

export class Embedder {
  readonly spec: EmbedderSpec;
  readonly modelPath: string;
  readonly maxBatch: number;
  readonly flip: boolean;
  readonly ensemble: boolean;
  #session: ort.InferenceSession;

  private constructor(
    spec: EmbedderSpec,
    modelPath: string,
    session: ort.InferenceSession,
    o: { maxBatch: number; flip: boolean; ensemble: boolean },
  ) {
    this.spec = spec;
    this.modelPath = modelPath;
    this.#session = session;
    this.maxBatch = o.maxBatch;
    this.flip = o.flip;
    this.ensemble = o.ensemble;
  }

  /** Loads the model and checks it against the spec with one run on a blank chip. */
  static async create(options: EmbedderOptions = {}): Promise<Embedder> {
    const spec = typeof options.model === "object" ? options.model : embedderSpec(options.model ?? DEFAULT_EMBEDDER_MODEL);
    validateSpec(spec);
    const maxBatch = options.maxBatch ?? EMBEDDER_DEFAULTS.maxBatch;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    const modelPath = resolveModelPath(spec.file, options.modelsDir);
    const session = await createLocalSession(modelPath, {
      intraOpNumThreads: options.intraOpNumThreads ?? EMBEDDER_DEFAULTS.intraOpNumThreads,
    });
    const e = new Embedder(spec, modelPath, session, {
      maxBatch,
      flip: options.flip ?? EMBEDDER_DEFAULTS.flip,
      ensemble: options.ensemble ?? EMBEDDER_DEFAULTS.ensemble,
    });
    if (!session.inputNames.includes(spec.inputName) || !session.outputNames.includes(spec.outputName)) {
      await session.release();
      throw new EmbedderError(
        "model_mismatch",
        `${modelPath}: expected input "${spec.inputName}" and output "${spec.outputName}", found inputs [${session.inputNames.join(", ")}] outputs [${session.outputNames.join(", ")}]`,
      );
    }
    try {
      const s = spec.inputSize;
      const out = await e.#runRaw(new Float32Array(s * s * 3), 1);
      if (out.length !== spec.dims) throw new Error(`descriptor has ${out.length} values, spec says ${spec.dims}`);
    } catch (cause) {
      await session.release();
      throw new EmbedderError("model_mismatch", `${modelPath} does not match spec ${spec.name}: ${errorMessage(cause)}`, {
        cause,
      });
    }
    return e;
  }

  get dims(): number {
    return this.spec.dims;
  }

  get template(): AlignmentTemplate {
    return this.spec.template;
  }

  /**
   * Embeds aligned chips (each `inputSize` x `inputSize`, made with `spec.template`), in batches of at most
   * `maxBatch`. Returns one unit-length Float32Array per chip, in order.
   */
  async embed(chips: readonly RgbImage[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const flip = options.flip ?? this.flip;
    for (const [i, c] of chips.entries()) this.#checkChip(c, i);
    // with flip, each chip is followed by its mirror image; batches are filled across chips
    const all = flip ? chips.flatMap((c) => [c, flipChip(c)]) : chips;
    const embs: Float32Array[] = [];
    for (let i = 0; i < all.length; i += this.maxBatch) embs.push(...(await this.#embedBatch(all.slice(i, i + this.maxBatch))));
    if (!flip) return embs;
    return chips.map((_, k) => fuseEmbeddings(embs[2 * k] as Float32Array, embs[2 * k + 1] as Float32Array));
  }

  /**
   * Aligns each face (with `spec.template`, or every template of `spec.ensemble`) and embeds it. With the ensemble,
   * the crops' unit embeddings are averaged and renormalised; with flip, the same is done for the mirrored crops and
   * the two results are fused (`fuseEmbeddings`). One unit vector per face.
   */
  async embedFaces(faces: readonly FaceToEmbed[], options: EmbedFacesOptions = {}): Promise<Float32Array[]> {
    const flip = options.flip ?? this.flip;
    const templates = (options.ensemble ?? this.ensemble) ? this.spec.ensemble : [this.spec.template];
    const chips: RgbImage[] = [];
    for (const f of faces) {
      for (const t of templates) {
        const chip = alignFace(f.image, f.keypoints, t, options.align).chip;
        chips.push(chip);
        if (flip) chips.push(flipChip(chip));
      }
    }
    const embs = await this.embed(chips, { flip: false });
    const step = flip ? 2 : 1;
    const per = templates.length * step;
    // crops are averaged first, plain and mirrored separately, then the two are fused (as the evaluation does)
    const crops = (i: number, offset: number): Float32Array => {
      const vs = templates.map((_, c) => embs[i * per + c * step + offset] as Float32Array);
      return vs.length === 1 ? (vs[0] as Float32Array) : meanDirection(vs);
    };
    return faces.map((_, i) => (flip ? fuseEmbeddings(crops(i, 0), crops(i, 1)) : crops(i, 0)));
  }

  /** Embeds one chip. */
  async embedOne(chip: RgbImage, options: EmbedOptions = {}): Promise<Float32Array> {
    const [e] = await this.embed([chip], options);
    return e as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }

  #checkChip(c: RgbImage, i: number): void {
    const s = this.spec.inputSize;
    try {
      assertRgbImage(c);
    } catch (cause) {
      throw new EmbedderError("bad_chip", `chip ${i} is not an RGB image: ${errorMessage(cause)}`, { cause });
    }
    if (c.width !== s || c.height !== s) {
      throw new EmbedderError(
        "bad_chip",
        `chip ${i} is ${c.width}x${c.height}, ${this.spec.name} needs ${s}x${s} chips aligned with template ${this.spec.template.name}`,
      );
    }
  }

  async #embedBatch(chips: readonly RgbImage[]): Promise<Float32Array[]> {
    const s = this.spec.inputSize;
    const px = s * s * 3;
    const input = new Float32Array(chips.length * px);
    chips.forEach((c, k) => {
      const d = c.data;
      const o = k * px;
      for (let j = 0; j < px; j++) input[o + j] = d[j] as number;
    });
    const raw = await this.#runRaw(input, chips.length);
    const dims = this.spec.dims;
    const out: Float32Array[] = [];
    for (let k = 0; k < chips.length; k++) {
      const e = raw.slice(k * dims, (k + 1) * dims);
      if (!l2NormalizeInPlace(e)) {
        throw new EmbedderError(
          "bad_output",
          `${this.spec.name} produced a non-finite or zero descriptor for chip ${k} of the batch`,
        );
      }
      out.push(e);
    }
    return out;
  }

  async #runRaw(input: Float32Array, n: number): Promise<Float32Array> {
    const s = this.spec.inputSize;
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      const tensor = new ort.Tensor("float32", input, [n, s, s, 3]);
      result = await this.#session.run({ [this.spec.inputName]: tensor }, [this.spec.outputName]);
    } catch (cause) {
      throw new EmbedderError("inference", `${this.spec.name}: onnxruntime run failed: ${errorMessage(cause)}`, { cause });
    }
    const t = result[this.spec.outputName];
    if (t?.type !== "float32" || !(t.data instanceof Float32Array)) {
      throw new EmbedderError("bad_output", `${this.spec.name}: output "${this.spec.outputName}" missing or not float32`);
    }
    if (t.data.length !== n * this.spec.dims) {
      throw new EmbedderError(
        "bad_output",
        `${this.spec.name}: output has ${t.data.length} values for a batch of ${n}, expected ${n * this.spec.dims}`,
      );
    }
    return t.data;
  }
}

function meanDirection(vs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array((vs[0] as Float32Array).length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i] = (out[i] as number) + (v[i] as number);
  if (!l2NormalizeInPlace(out)) throw new EmbedderError("bad_output", "crop embeddings cancel out");
  return out;
}

function validateSpec(spec: EmbedderSpec): void {
  const bad = (why: string) => new EmbedderError("model_mismatch", `invalid embedder spec ${spec.name}: ${why}`);
  if (!Number.isInteger(spec.inputSize) || spec.inputSize < 8) throw bad(`inputSize ${spec.inputSize}`);
  if (!Number.isInteger(spec.dims) || spec.dims < 1) throw bad(`dims ${spec.dims}`);
  if (spec.ensemble.length === 0) throw bad("empty ensemble");
  for (const t of [spec.template, ...spec.ensemble]) {
    if (t.width !== spec.inputSize || t.height !== spec.inputSize)
      throw bad(`template ${t.name} is ${t.width}x${t.height}, input is ${spec.inputSize}`);
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
