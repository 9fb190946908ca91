/**
 * @persona/eval: face-recognition evaluation. LFW 10-fold verification (official pairs.txt), generic pairs files,
 * LFW View 1 threshold tuning (DevTrain -> DevTest), open-set identification (LFW protocol or folder-per-person
 * sets), ROC curves as SVG, and an on-disk embedding cache. See README.md for the measured numbers.
 */
export { EvaluationError, type EvaluationErrorCode, PairsFileError, type PairsFileErrorCode } from "./errors.ts";
export {
  accuracyAt,
  bestThreshold,
  type FoldResult,
  type KFoldResult,
  kFoldAccuracy,
  meanOf,
  type RatesAt,
  type RocCurve,
  type RocPoint,
  ratesAt,
  rocAuc,
  rocCurve,
  sampleStd,
  stratifiedFolds,
  type TarAtFar,
  type ThresholdChoice,
  tarAtFar,
} from "./metrics.ts";
export { renderRocSvg, type RocSeries, type RocSvgOptions, writeRocSvg } from "./roc-svg.ts";
export { assertFilesExist, type PairSpec, type PairsFile, parsePairsTsv, readPairsFile } from "./pairs-file.ts";
export {
  buildLfwIdentification,
  type IdentificationProtocol,
  type LfwIdentificationOptions,
  type LfwPeopleSet,
  type LfwPerson,
  lfwAllImages,
  lfwImagePath,
  parseLfwPairs,
  parseLfwPeople,
  readLfwPairs,
  readLfwPeople,
} from "./lfw.ts";
export { IMAGE_EXTENSIONS, type LabelledImage, listPersonFolders } from "./folders.ts";
export { DEFAULT_CACHE_DIR, RecordCache, sha256File, sha256Hex, stableJson } from "./cache.ts";
export {
  canonicalKeypoints,
  type DetectionInfo,
  ExtractEngine,
  type ExtractResult,
  type ExtractSettings,
  type ExtractStatus,
  type FacePick,
  LFW_CANONICAL_KEYPOINTS,
  type NoFacePolicy,
  pickFace,
  type StageTimes,
} from "./extract-engine.ts";
export {
  type ExtractOptions,
  type ExtractRun,
  type ExtractStats,
  extractEmbeddings,
  type ImageEmbedding,
  type Progress,
  resolveSettings,
  settingsMode,
} from "./extract.ts";
export {
  computeIdentification,
  type DecisionCounts,
  decisionRates,
  type FpirPoint,
  type IdentificationInput,
  type IdentificationMetricOptions,
  type IdentificationMetrics,
  identificationMetrics,
  type LabelledVector,
  type SearchOutcome,
  type SearchOutcomes,
  searchOutcomes,
  type TunedDecision,
  type ScoreKind,
  type TuneDecisionOptions,
  thresholdAtFpir,
  tuneDecision,
} from "./identification.ts";
export {
  evalIdentify,
  evalLfw,
  evalLfwIdentify,
  evalPairs,
  evalProtocol,
  type CohortInfo,
  type OpenSetTuning,
  searchProtocol,
  tuneLfwOpenSet,
  type FolderIdentifyOptions,
  type IdentificationReport,
  type IdentifyOptions,
  type LfwOptions,
  MISSING_SCORE,
  type NoFaceSummary,
  reportToJson,
  type RunInfo,
  scorePairs,
  type ThresholdTuning,
  tuneLfwThreshold,
  type VerificationOptions,
  type VerificationReport,
  verificationReport,
} from "./evaluate.ts";
export { parseTemplateSpec } from "./template-spec.ts";
export { type CohortChoice, chooseCohort, type LfwCohortOptions, withoutPeople } from "./cohort.ts";
