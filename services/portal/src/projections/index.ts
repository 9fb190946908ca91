export * from "./projection.ts";
export * from "./readModels.ts";
export * from "./people.ts";
export * from "./sightings.ts";
export * from "./presence.ts";
export * from "./attendance.ts";
export * from "./runner.ts";
export * from "./rebuild.ts";
