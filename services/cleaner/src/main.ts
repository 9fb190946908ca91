import { runService } from "@persona/bus";
import { configSchema } from "./config.ts";

await runService({
  name: "cleaner",
  config: configSchema,
  async start({ log }) {
    log.info("cleaner is connected and its topology is in place; its work arrives with its issue");
    return {};
  },
});
