// For tests and tools (the CLI) that run the cleaner's parts in-process; services never import each other.
export { type Config, configSchema } from "./config.ts";
export { CLEANER_LEASE_KEY, type RunningCleaner, startCleaner } from "./cleaner.ts";
export { type CleanerCollections, openCollections } from "./collections.ts";
export { type ErasureResult, erasePerson, removePerson } from "./erasure.ts";
export { HEALTH_STATE_KEY, HealthMonitor } from "./health.ts";
export { type RetentionResult, libraryPeople, runRetention } from "./retention.ts";
export { type RetentionPolicy, cutoffs, policyFromConfig } from "./retentionPolicy.ts";
