import { runService } from "@persona/bus";
import { TRIAL_CAMERA_PREFIX, isTrialCamera } from "@persona/contracts";
import { startCameraService } from "./cameraService.ts";
import { camerasOf, configSchema } from "./config.ts";
import { CameraMetrics } from "./metrics.ts";

await runService({
  name: "camera",
  config: configSchema,
  async start({ config, log, metrics, bus }) {
    // the prefix marks `persona watch`'s trial cameras, whose sightings nothing records: a site camera may not take it
    const trial = camerasOf(config).filter((c) => isTrialCamera(c.id));
    if (trial.length > 0)
      throw new Error(
        `camera id(s) ${trial.map((c) => c.id).join(", ")}: "${TRIAL_CAMERA_PREFIX}" is reserved for persona watch's trial cameras`,
      );
    const service = await startCameraService({ config, bus, log, metrics: new CameraMetrics(metrics.registry) });
    return { checks: service.checks, stop: () => service.stop() };
  },
});
