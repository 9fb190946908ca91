/**
 * @persona/vision: image decoding, BlazeFace face detection (whole frame and tiled), similarity alignment into
 * recognizer chips, and face quality. Pure TypeScript + sharp + onnxruntime-node.
 */
export {
  type Box,
  type Detection,
  type FaceKeypoints,
  BLAZEFACE_KEYPOINTS,
  CORE_KEYPOINTS,
  KEYPOINT_NAMES,
  type KeypointName,
  type Point,
  type RgbImage,
} from "./types.ts";
export { CodedError, ImageDecodeError, type ImageDecodeErrorCode, ModelLoadError } from "./errors.ts";
export {
  DECODE_DEFAULTS,
  type DecodedImage,
  type DecodeOptions,
  decodeImage,
  encodePng,
  fitPixels,
  resizeRgb,
} from "./image.ts";
export { decodeChip, encodeJpeg, MAX_CHIP_SIDE } from "./jpeg.ts";
export {
  MODEL_FILES,
  REPO_MODELS_DIR,
  createLocalSession,
  createSession,
  type ModelSession,
  type SessionHost,
  resolveModelPath,
  resolveModelsDir,
  type SessionOptions,
} from "./models.ts";
export { DETECT_DEFAULTS, type DetectionReport, type DetectOptions } from "./detect-options.ts";
export {
  BlazeFaceDetector,
  createFaceDetector,
  type DetectorChoice,
  type DetectorKind,
  detectDefaultsFor,
  detectorChoice,
  FaceDetector,
  type FaceDetectorOptions,
  parseDetectorChoice,
  resolveDetectorKind,
} from "./detector.ts";
export {
  resolveYuNet,
  sharedModelsDir,
  YUNET_DETECT_DEFAULTS,
  YUNET_FILE,
  YUNET_SHA256,
  YuNetDetector,
} from "./yunet.ts";
export { decodeYuNetHead, YUNET_SIZE_MULTIPLE, YUNET_STRIDES, type YuNetHead } from "./yunet-decode.ts";
export { keypointNames, keypointsFromArray, keypointsToArray, mapKeypoints, meanKeypoints } from "./keypoints.ts";
export { hardNms, iou, weightedNms } from "./nms.ts";
export { type LevelPlan, planLevel, planTiles, type Tile, type TilePlan } from "./tiling.ts";
export { InferenceError, InferencePool } from "./inferencePool.ts";
export {
  type ChipMeasures,
  ENHANCE_DEFAULTS,
  type EnhanceOptions,
  type EnhanceStep,
  enhanceChip,
  enhanceSteps,
  measureChip,
} from "./enhance.ts";
export { floatMatOf, imageOf, type Mat, matOf, OPENCV_DEBIAN_PACKAGES, OpenCvUnavailableError, opencv } from "./cv.ts";
export { fillBgrPlanar, fillTensorRect, type ImageSource, resizeArea, resizeMat, toMat } from "./resample.ts";
export { type Affine, applyAffine, estimateSimilarity, invertAffine } from "./similarity.ts";
export { warpAffine, warpAffineMat, type WarpOptions } from "./warp.ts";
export { ARCFACE_112, type AlignmentTemplate, DLIB_150, dlibTemplate, resizeTemplate, withMargin } from "./templates.ts";
export {
  type AlignedFace,
  type AlignOptions,
  alignFace,
  alignmentTransform,
  keypointAlignment,
  templateKeypoints,
  warpToChip,
} from "./alignment.ts";
export {
  alignFace68,
  alignmentTransform68,
  LANDMARK68_CROP_SCALE,
  LandmarkDetector,
  type LandmarkOptions,
  landmarkCropTransform,
} from "./landmarks.ts";
export { laplacianVariance } from "./sharpness.ts";
export { estimatePose, type HeadPose } from "./pose.ts";
export {
  assessQuality,
  type FaceQuality,
  GATE_DEFAULTS,
  type GateOptions,
  type GateResult,
  QUALITY_DEFAULTS,
  QUALITY_TEMPLATE,
  type QualityOptions,
  qualityGate,
  type QualitySummary,
  qualitySummary,
  scoreQuality,
} from "./quality.ts";
export { type AlignedDetection, alignDetections, type DetectAndAlignOptions, detectAndAlign } from "./pipeline.ts";
export { drawBox, drawDetections, drawDot } from "./draw.ts";
export {
  cosineSimilarity,
  DEFAULT_EMBEDDER_MODEL,
  dot,
  Embedder,
  EMBEDDER_DEFAULTS,
  EMBEDDER_MODELS,
  type EmbedderErrorCode,
  EmbedderError,
  type EmbedderModelName,
  type EmbedderOptions,
  type EmbedderSpec,
  embedderSpec,
  type SelfLearningThresholds,
  templateModelName,
  type EmbedFacesOptions,
  type EmbedMode,
  embedMode,
  type ModeThresholds,
  type EmbedOptions,
  DLIB_CHIP_PADDING,
  FACERES_MARGIN,
  type FaceToEmbed,
  flipChip,
  fuseEmbeddings,
  l2NormalizeInPlace,
} from "./embedder.ts";
export {
  DECISION_DEFAULTS,
  type Decision,
  type DecisionOptions,
  Gallery,
  GalleryError,
  type GalleryErrorCode,
  type GalleryOptions,
  type NormalizedScores,
  type PersonMatch,
  SCORE_NORM_DEFAULTS,
  type ScoreNormOptions,
  type TemplateMatch,
  type UnknownReason,
} from "./matcher.ts";
export { asNormScore, SCORE_COHORT_DEFAULTS, ScoreCohort, type ScoreCohortOptions } from "./scoreNorm.ts";
export {
  FAST_CHIP_SIZE,
  FAST_GRAY,
  FAST_NET_SIZE,
  FAST_REGION_START,
  FAST_SAMPLE_SIZE,
  FAST_STD_EPS,
  FastInputError,
  fastClassifierInput,
  fastClassifierSample,
  standardizeFastInput,
  toFastChip,
} from "./fastClassifierInput.ts";
