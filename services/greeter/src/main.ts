import { runService } from "@persona/bus";
import { configSchema } from "./config.ts";

await runService({
  name: "greeter",
  config: configSchema,
  async start({ log }) {
    log.info("greeter is connected and its topology is in place; its work arrives with its issue");
    return {};
  },
});
