// the health endpoints' readers moved to @persona/bus (the portal's System page uses them too)
export { SERVICE_NAMES, type ServiceReadiness, healthPort, readinessOf } from "@persona/bus";
