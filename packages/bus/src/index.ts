export * from "./bus.ts";
export * from "./connection.ts";
export * from "./consumer.ts";
export * from "./errors.ts";
export * from "./follow.ts";
export * from "./outcome.ts";
export * from "./topology.ts";
export * from "./service.ts";
