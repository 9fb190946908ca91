import { runService } from "@persona/bus";
import { startCameraService } from "./cameraService.ts";
import { configSchema } from "./config.ts";
import { CameraMetrics } from "./metrics.ts";

await runService({
  name: "camera",
  config: configSchema,
  async start({ config, log, metrics, bus }) {
    const service = await startCameraService({ config, bus, log, metrics: new CameraMetrics(metrics.registry) });
    return { checks: service.checks, stop: () => service.stop() };
  },
});
