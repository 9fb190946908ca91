export * from "@persona/runtime/nats-server";
export * from "./wait.ts";
export * from "./natsCluster.ts";
export * from "./files.ts";
export * from "./lfw.ts";
export * from "./timing.ts";
export * from "./fakeService.ts";
