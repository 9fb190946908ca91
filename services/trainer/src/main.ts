import { runService } from "@persona/bus";
import { trainerSettings } from "./classifierConfig.ts";
import { configSchema } from "./config.ts";
import { growthOptions, visitorOptions } from "./growth/config.ts";
import { SelfLearning } from "./growth/selfLearning.ts";
import { FastClassifierTrainer } from "./trainerService.ts";

await runService({
  name: "trainer",
  config: configSchema,
  async start({ config, log, bus }) {
    const fast = new FastClassifierTrainer(bus, trainerSettings(config), log.child({ part: "fast-classifier" }));
    await fast.start();
    const selfLearning = new SelfLearning(
      bus,
      {
        growth: config.GROWTH_ENABLED ? growthOptions(config) : null,
        visitors: config.VISITORS_ENABLED ? visitorOptions(config) : null,
        model: config.GROWTH_MODEL,
        flip: config.GROWTH_FLIP,
        dataDir: config.TRAINER_DATA_DIR,
        leaseTtlSeconds: config.TRAINER_LEASE_TTL_SECONDS,
      },
      log.child({ part: "self-learning" }),
    );
    await selfLearning.start();
    return {
      checks: [...fast.checks, ...selfLearning.checks],
      stop: async () => {
        await selfLearning.stop();
        await fast.stop();
      },
    };
  },
});
