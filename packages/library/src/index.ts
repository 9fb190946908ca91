export * from "./ids.ts";
export * from "./library.ts";
