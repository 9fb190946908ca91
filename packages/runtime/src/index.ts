export * from "./config.ts";
export * from "./health.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./shutdown.ts";
export * from "./paths.ts";
export * from "./random.ts";
export * from "./natsServer.ts";
