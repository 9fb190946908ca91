/** Object Store keys of a published classifier (pure). */
export const MODELS_BUCKET = "models";

/** The published graph takes the 68x68 gray sample (input "sample"; see sample.ts), the same graph the trainer checks. */
export function modelKey(modelId: string): string {
  return `classifier/${modelId}/model.onnx`;
}
