import { runService } from "@persona/bus";
import { configSchema } from "./config.ts";
import { startRecognizer } from "./recognizer.ts";

await runService({
  name: "recognizer",
  config: configSchema,
  async start({ config, log, bus }) {
    return await startRecognizer(bus, config, log);
  },
});
