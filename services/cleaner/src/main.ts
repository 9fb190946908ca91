import { runService } from "@persona/bus";
import { openStore, storeConfigFromEnv } from "@persona/store";
import { startCleaner } from "./cleaner.ts";
import { configSchema } from "./config.ts";

await runService({
  name: "cleaner",
  config: configSchema,
  async start({ config, log, bus }) {
    const store = await openStore(storeConfigFromEnv({ ...process.env, STORE_URL: config.STORE_URL }));
    const cleaner = await startCleaner({ bus, store, config, log });
    return {
      checks: [
        {
          name: "lease",
          check: () => ({
            ok: true,
            detail: cleaner.lease.held ? "active (holds the lease)" : "standby (another cleaner is active)",
          }),
        },
        {
          name: "retention",
          check: () => {
            const r = cleaner.lastRetention;
            return { ok: true, detail: r === null ? "no run yet" : `last run ${r.event.data.finishedAt}` };
          },
        },
      ],
      async stop() {
        await cleaner.stop();
        await store.close();
      },
    };
  },
});
