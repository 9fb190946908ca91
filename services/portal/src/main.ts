import { runService } from "@persona/bus";
import { openStore, redactStoreUrl, storeConfigFromEnv } from "@persona/store";
import { configSchema } from "./config.ts";
import { startProjections } from "./projections/index.ts";

await runService({
  name: "portal",
  config: configSchema,
  async start({ config, log, bus }) {
    const storeConfig = storeConfigFromEnv({ ...process.env, STORE_URL: config.STORE_URL });
    const store = await openStore(storeConfig);
    log.info({ store: redactStoreUrl(storeConfig.url), timeZone: config.ATTENDANCE_TIME_ZONE }, "store open");
    const projections = await startProjections({ bus, store, log, timeZone: config.ATTENDANCE_TIME_ZONE });
    return {
      async stop() {
        // finish the event being applied before closing the store under it
        await projections.stop();
        await store.close();
      },
    };
  },
});
