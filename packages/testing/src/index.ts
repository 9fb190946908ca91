export * from "./natsServer.ts";
export * from "./wait.ts";
