// For tests and tools that run the real recognizer in-process; services never import each other.
export { type Config, configSchema } from "./config.ts";
export { startEnrollmentHandler } from "./enrollment.ts";
export { type RecognizerSettings, type RunningRecognizer, startRecognizer, voteOptions } from "./recognizer.ts";
