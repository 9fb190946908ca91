// For tools that run a camera in-process (persona watch); services never import each other.
export { type Config, configSchema } from "./config.ts";
export { type CameraService, type CameraServiceOptions, startCameraService } from "./cameraService.ts";
