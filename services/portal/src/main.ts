import { defaultHealthTargets, runService } from "@persona/bus";
import { openStore, redactStoreUrl, storeConfigFromEnv } from "@persona/store";
import { startPortal } from "./app.ts";
import { configSchema } from "./config.ts";

await runService({
  name: "portal",
  config: configSchema,
  async start({ config, log, bus }) {
    const storeConfig = storeConfigFromEnv({ ...process.env, STORE_URL: config.STORE_URL });
    const store = await openStore(storeConfig);
    log.info({ store: redactStoreUrl(storeConfig.url), timeZone: config.ATTENDANCE_TIME_ZONE }, "store open");
    if ((config.PORTAL_ADMIN_USER === undefined) !== (config.PORTAL_ADMIN_PASSWORD === undefined)) {
      log.warn("PORTAL_ADMIN_USER and PORTAL_ADMIN_PASSWORD go together; no first admin created from the environment");
    }
    const portal = await startPortal({
      bus,
      store,
      log,
      port: config.PORTAL_PORT,
      host: config.PORTAL_HOST,
      admin:
        config.PORTAL_ADMIN_USER !== undefined && config.PORTAL_ADMIN_PASSWORD !== undefined
          ? { username: config.PORTAL_ADMIN_USER, password: config.PORTAL_ADMIN_PASSWORD }
          : undefined,
      timeZone: config.ATTENDANCE_TIME_ZONE,
      sessionsTickMs: config.SESSIONS_TICK_SECONDS * 1000,
      sessionsLookbackMs: config.SESSIONS_LOOKBACK_HOURS * 3600_000,
      liveUrls: config.PORTAL_LIVE_URLS,
      cameraLiveUrl: config.PORTAL_CAMERA_LIVE_URL ?? null,
      sessionTtlMs: config.PORTAL_SESSION_HOURS * 3600_000,
      secureCookies: config.PORTAL_SECURE_COOKIES,
      webDist: config.PORTAL_WEB_DIST,
      trustProxy: config.PORTAL_TRUST_PROXY,
      ignoredVisitorMinSimilarity: config.ALERTS_IGNORED_VISITOR_MIN_SIMILARITY ?? null,
      // the portal's own HEALTH_PORT (persona run sets it from PORTAL_HEALTH_PORT) stands for PORTAL_HEALTH_PORT
      serviceHealth:
        config.PORTAL_SERVICE_HEALTH_URLS ??
        defaultHealthTargets({ PORTAL_HEALTH_PORT: process.env.HEALTH_PORT, ...process.env }),
      search: {
        model: config.SEARCH_MODEL,
        flip: config.SEARCH_FLIP,
        nameThreshold: config.SEARCH_NAME_THRESHOLD,
        probableThreshold: config.SEARCH_PROBABLE_THRESHOLD,
        minMargin: config.SEARCH_MIN_MARGIN,
        singleShotThreshold: config.SEARCH_SINGLE_SHOT_THRESHOLD,
        threads: config.SEARCH_THREADS,
      },
    });
    return {
      checks: portal.checks,
      async stop() {
        // stop serving, then finish the event being applied before closing the store under it
        await portal.stop();
        await store.close();
      },
    };
  },
});
