export * from "./cameras.ts";
export * from "./common.ts";
export * from "./envelope.ts";
export * from "./media.ts";
export * from "./messages.ts";
export * from "./topology.ts";
export * from "./trial.ts";
export * from "./build.ts";
