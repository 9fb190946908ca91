import type { Bus, HealthTarget } from "@persona/bus";
import type { EnrollmentWatcher } from "@persona/library";
import type { Logger } from "@persona/runtime";
import type { AlertsRepository, DocumentStore, ValidatedCollection } from "@persona/store";
import { z } from "zod";
import type { RulesStore } from "./alerts/rulesStore.ts";
import type { ApiKeyStore } from "./auth/apiKeys.ts";
import type { LoginLimiter } from "./auth/loginLimiter.ts";
import type { SessionStore } from "./auth/sessions.ts";
import type { Users } from "./auth/users.ts";
import type { CameraConfigStore } from "./cameraConfig.ts";
import type { ThresholdStore } from "./thresholdStore.ts";
import type { CameraDirectory } from "./cameras.ts";
import type { LiveSources } from "./liveProxy.ts";
import type { MediaStore } from "./media.ts";
import type { ReadModels } from "./projections/readModels.ts";
import type { PhotoSearch } from "./search/photoSearch.ts";
import type { SessionsConsumer } from "./sessions/consumer.ts";
import type { SessionsWriter } from "@persona/sessions/writer";

/** Unknown sightings an operator has dealt with (enrolled as a new person or assigned to one). */
export const ResolvedUnknownDoc = z.object({
  id: z.string().min(1),
  by: z.string(),
  at: z.string(),
  personId: z.string().nullable(),
});

export interface PortalContext {
  bus: Bus;
  store: DocumentStore;
  models: ReadModels;
  log: Logger;
  users: Users;
  sessions: SessionStore;
  limiter: LoginLimiter;
  /** API keys (Authorization: Bearer) and their audited uses. */
  apiKeys: ApiKeyStore;
  media: MediaStore;
  rules: RulesStore;
  cameras: CameraDirectory;
  /** Naming thresholds set by an admin per model and mode (KV config). */
  thresholds: ThresholdStore;
  /** Cameras managed in the console (KV config) and the camera services' health reports. */
  cameraConfig: CameraConfigStore;
  alerts: AlertsRepository;
  watcher: EnrollmentWatcher;
  resolvedUnknowns: ValidatedCollection<typeof ResolvedUnknownDoc>;
  secureCookies: boolean;
  /** Where each camera's live view is (PORTAL_LIVE_URLS, PORTAL_CAMERA_LIVE_URL): the portal proxies it. */
  live: LiveSources;
  enrollTimeoutMs: number;
  /** Search by photo (POST /identify): models and gallery loaded on first use. */
  search: PhotoSearch;
  /** Naming a visitor as a new person with a description: how long the description waits for the person. */
  /** Work a request leaves running after its answer (stopped with the portal). */
  /** Groups, sessions and attendance: this replica's fold of the streams (with its clock) and the one writer. */
  attendanceSessions: { consumer: SessionsConsumer; writer: SessionsWriter };
  /** Health of this process's parts, for GET /system. */
  readiness: () => Promise<{ name: string; ready: boolean; detail: string }[]>;
  /** The services' health endpoints (every replica) whose /readyz and /metrics GET /system reads. */
  serviceHealth: HealthTarget[];
}

/** Waits until a projection has applied the event at `seq` (it may run on another replica); false on timeout. */
export async function projected(store: DocumentStore, projection: string, seq: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await store.checkpoint(projection)) >= seq) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
