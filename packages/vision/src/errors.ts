import { CodedError } from "@persona/runtime/errors";

/** Why an image could not be decoded. */
export type ImageDecodeErrorCode =
  /** zero bytes */
  | "empty"
  /** the bytes are not a recognised image format (text, random bytes, ...) */
  | "not_image"
  /** a recognised format we do not accept (SVG, PDF, ...) */
  | "unsupported"
  /** a recognised image whose data is damaged or truncated beyond what the decoder tolerates */
  | "corrupt"
  /** more pixels (or bytes) than the configured limits allow */
  | "too_large"
  /** decoding took longer than `timeoutSeconds` */
  | "timeout"
  /** the file could not be read */
  | "io";

/** The shared base of the typed errors (`@persona/runtime`), exported here too for vision's callers. */
export { CodedError };

/** Thrown by `decodeImage` for every input it cannot turn into RGB pixels. The decoder's own error is in `cause`. */
export class ImageDecodeError extends CodedError<ImageDecodeErrorCode> {
  override readonly name = "ImageDecodeError";
}

/** Thrown when an ONNX model file cannot be found or loaded. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
  readonly modelPath: string;
  constructor(modelPath: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.modelPath = modelPath;
  }
}
