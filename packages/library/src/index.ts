export * from "./ids.ts";
export * from "./library.ts";
export * from "./follower.ts";
export * from "./enrollment.ts";
export * from "./visitors.ts";
export * from "./decide.ts";
export * from "./writer.ts";
export { StreamFold, type StreamFoldOptions } from "./streamFold.ts";
